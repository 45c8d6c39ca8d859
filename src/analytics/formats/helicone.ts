import type { UsageRecord, UsageRecordInput } from "../record.ts";
import { rejectItem, type FormatMapper, type SourceItem } from "./format.ts";
import { readBoolean, readNumber, readObject, readString, readTimestamp, truncate } from "./source-values.ts";
import { stableId } from "./stable-id.ts";

// Helicone request export rows (JSON or CSV). Custom properties arrive as `properties` (sent as
// Helicone-Property-<Name> headers); cost is costUSD (older exports) or cost, in USD.
// Helicone keeps each provider's own token convention: for Anthropic, prompt_tokens EXCLUDES the cache reads and
// writes, so they are added back; for the others (OpenAI convention) prompt_tokens already includes them.
// Written as export rows; session, feature and environment travel as properties, and properties are what the reader
// turns into tags, so the record's own tags, reasoning, tier, trace and request parameters are not carried.

const NO_CACHE_REFERENCE = "00000000-0000-0000-0000-000000000000";
const PROPERTY_PREFIX = "helicone-property-";

/** Properties with the header prefix stripped and lower-cased keys, so "Helicone-Property-Feature" = "feature". */
function properties(row: SourceItem): Map<string, string> {
  const raw = readObject(row.properties) ?? {};
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(raw)) {
    const text = readString(value);
    if (text === undefined) continue;
    const lower = key.toLowerCase();
    out.set(lower.startsWith(PROPERTY_PREFIX) ? lower.slice(PROPERTY_PREFIX.length) : lower, text);
  }
  return out;
}

function isCacheHit(row: SourceItem): boolean {
  if (readBoolean(row.cache_hit) === true) return true;
  const reference = readString(row.cache_reference_id);
  return reference !== undefined && reference !== NO_CACHE_REFERENCE;
}

function isAnthropic(provider: string | undefined, model: string): boolean {
  return provider?.toLowerCase() === "anthropic" || model.toLowerCase().startsWith("claude");
}

/** The HTTP status of an error: the one named by an `http_NNN` error type, else 500. */
function statusCode(record: UsageRecord): number {
  if (record.status !== "error") return 200;
  const named = /^http_(\d{3})$/.exec(record.error_type ?? "");
  return named?.[1] === undefined || Number(named[1]) < 400 ? 500 : Number(named[1]);
}

function writeRow(record: UsageRecord): SourceItem {
  const cacheRead = record.cache_read_tokens;
  const cacheWrite = record.cache_write_tokens;
  const exclusive = isAnthropic(record.provider, record.model);
  const properties = {
    "Helicone-Session-Id": record.session_id,
    Feature: record.feature,
    Environment: record.environment,
  };
  return {
    request_id: record.id,
    request_created_at: record.timestamp,
    model: record.model,
    provider: record.provider?.toUpperCase(),
    prompt_tokens: exclusive ? record.input_tokens - (cacheRead ?? 0) - (cacheWrite ?? 0) : record.input_tokens,
    completion_tokens: record.output_tokens,
    total_tokens: record.input_tokens + record.output_tokens,
    prompt_cache_read_tokens: cacheRead,
    prompt_cache_write_tokens: cacheWrite,
    cost: record.cost_usd,
    latency: record.duration_ms,
    time_to_first_token: record.ttft_ms,
    status: statusCode(record),
    user_id: record.user_id,
    properties,
    cache_reference_id: NO_CACHE_REFERENCE,
  };
}

export const helicone: FormatMapper = {
  name: "helicone",
  matches: (item) => "request_created_at" in item,
  map(row) {
    const model = readString(row.model) ?? readString(row.response_model) ?? readString(row.request_model) ?? "";
    const provider = readString(row.provider)?.toLowerCase();
    const prompt = readNumber(row.prompt_tokens, "prompt_tokens") ?? 0;
    const cacheRead = readNumber(row.prompt_cache_read_tokens, "prompt_cache_read_tokens");
    const cacheWrite = readNumber(row.prompt_cache_write_tokens, "prompt_cache_write_tokens");
    const exclusive = isAnthropic(provider, model);
    const httpStatus = readNumber(row.status, "status");
    const props = properties(row);
    const tags = [...props].map(([k, v]) => truncate(`${k}=${v}`, 256) as string);
    const record: UsageRecordInput = {
      id: readString(row.request_id) ?? stableId("helicone", row),
      timestamp: readTimestamp(row.request_created_at, "request_created_at") ?? rejectItem("no request_created_at"),
      model,
      provider,
      input_tokens: exclusive ? prompt + (cacheRead ?? 0) + (cacheWrite ?? 0) : prompt,
      output_tokens: readNumber(row.completion_tokens, "completion_tokens") ?? 0,
      cache_read_tokens: cacheRead,
      cache_write_tokens: cacheWrite,
      cost_usd: readNumber(row.costUSD ?? row.cost, "cost"),
      duration_ms: readNumber(row.latency, "latency"),
      ttft_ms: readNumber(row.time_to_first_token, "time_to_first_token"),
      status: httpStatus !== undefined && httpStatus >= 400 ? "error" : isCacheHit(row) ? "cache_hit" : "success",
      error_type: httpStatus !== undefined && httpStatus >= 400 ? `http_${httpStatus}` : undefined,
      user_id: readString(row.user_id),
      session_id: props.get("helicone-session-id") ?? props.get("session"),
      feature: props.get("feature"),
      environment: props.get("environment"),
      tags: tags.length > 0 ? tags : undefined,
    };
    return [record];
  },
  writer: { item: writeRow },
};
