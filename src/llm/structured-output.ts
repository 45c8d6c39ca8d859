import { z } from "zod";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { StructuredOutput, ToolCall } from "./provider.ts";

// The zod side of the wire: schemas go out as JSON Schema, replies come back parsed and validated. A reply that breaks
// the schema is an error here, so no caller ever holds data that only looks like its type.

export type JsonSchema = Record<string, unknown>;

/** The JSON Schema of a tool's parameters or a structured reply; both APIs require an object at the root. */
export function objectJsonSchema(schema: z.ZodType, what: string): JsonSchema {
  let json: JsonSchema;
  try {
    json = z.toJSONSchema(schema, { unrepresentable: "throw" }) as JsonSchema;
  } catch (error) {
    throw new ApexError(ErrorCode.INVALID_REQUEST, `${what} cannot be sent as JSON Schema: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (json.type !== "object") {
    throw new ApexError(ErrorCode.INVALID_REQUEST, `${what} must be a zod object schema (the APIs need an object at the root).`);
  }
  // The dialect line is noise to the APIs, and some compatible servers reject unknown top-level keywords.
  delete json.$schema;
  return json;
}

/**
 * True when the schema meets OpenAI's strict mode: every object closed and every property required. Sending
 * `strict: true` with any other schema is a 400, so strictness is asked for only when it holds.
 */
export function isStrictSchema(json: unknown): boolean {
  if (Array.isArray(json)) return json.every(isStrictSchema);
  if (typeof json !== "object" || json === null) return true;
  const node = json as JsonSchema;
  if (node.type === "object") {
    const keys = Object.keys((node.properties as JsonSchema | undefined) ?? {});
    const required = new Set((node.required as string[] | undefined) ?? []);
    if (node.additionalProperties !== false || !keys.every((key) => required.has(key))) return false;
  }
  return Object.values(node).every(isStrictSchema);
}

/** The model's structured reply (a JSON string or an already-decoded object) validated against the schema. */
export function parseStructured<T>(output: StructuredOutput<T>, raw: unknown, who: string): T {
  const value = typeof raw === "string" ? decodeJson(raw, `${who} answered "${output.name}" with`) : raw;
  const parsed = output.schema.safeParse(value);
  if (!parsed.success) {
    throw new ApexError(
      ErrorCode.LLM_INVALID_REPLY,
      `${who} answered "${output.name}" with data that breaks its schema:\n${z.prettifyError(parsed.error)}`,
      { retryable: true, cause: parsed.error },
    );
  }
  return parsed.data;
}

/** A tool call whose arguments arrived as a JSON string (OpenAI) or an object (Anthropic). */
export function toolCall(id: string, name: string, rawArguments: unknown, who: string): ToolCall {
  const value = typeof rawArguments === "string" ? decodeJson(rawArguments || "{}", `${who} called tool "${name}" with`) : rawArguments;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApexError(ErrorCode.LLM_INVALID_REPLY, `${who} called tool "${name}" with arguments that are not a JSON object.`, {
      retryable: true,
    });
  }
  return { id, name, arguments: value as Record<string, unknown> };
}

function decodeJson(text: string, context: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    throw new ApexError(ErrorCode.LLM_INVALID_REPLY, `${context} text that is not JSON: ${JSON.stringify(shown)}`, {
      retryable: true,
      cause: error,
    });
  }
}
