import { sha256Hex } from "./stable-id.ts";

// request_hash and prefix_hash as analytics.md defines them, for sources that keep the request text (Langfuse input).
// request_hash: model + messages + tools + temperature (not max_tokens), so an equal hash is the same request again.
// prefix_hash: model + tools + every message but the last, the part a provider prompt cache could reuse.

interface RequestText {
  model: string;
  messages: readonly unknown[];
  tools?: unknown;
  temperature?: number;
}

/** JSON with object keys sorted, so key order in an export does not change the hash. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function requestHashes(request: RequestText): { request_hash: string; prefix_hash?: string } {
  const tools = request.tools ?? null;
  const temperature = request.temperature ?? null;
  const { model, messages } = request;
  const request_hash = sha256Hex(canonicalJson({ model, messages, tools, temperature }));
  if (messages.length < 2) return { request_hash };
  const prefix_hash = sha256Hex(
    canonicalJson({ model, tools, prefix: messages.slice(0, -1) }),
  );
  return { request_hash, prefix_hash };
}
