import type { UsageRecord, UsageRecordInput } from "../record.ts";
import { rejectItem, type FormatMapper, type SourceItem } from "./format.ts";
import { requestHashes } from "./request-hash.ts";
import {
  isObject,
  isoAfter,
  millisBetween,
  readArray,
  readBoolean,
  readNumber,
  readObject,
  readString,
  readTimestamp,
  truncate,
} from "./source-values.ts";
import { stableId } from "./stable-id.ts";

// LiteLLM proxy SpendLogs rows (the LiteLLM_SpendLogs table, exported as JSON or CSV). LiteLLM normalizes every
// provider to OpenAI's convention, so prompt_tokens already includes cached tokens; the cache split, when logged,
// is in metadata.usage_object (prompt_tokens_details.cached_tokens, or Anthropic's cache_* fields).
// Written as SpendLogs rows (JSON, or CSV with metadata and tags as JSON cells). A row keeps no request text unless
// the proxy stores prompts, so request_hash and prefix_hash are not carried; nor are feature, environment and trace.

function cacheCounts(metadata: SourceItem | undefined): { read?: number; write?: number; reasoning?: number } {
  const usage = readObject(metadata?.usage_object);
  if (usage === undefined) return {};
  const promptDetails = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : undefined;
  const completionDetails = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : undefined;
  return {
    read:
      readNumber(promptDetails?.cached_tokens, "usage_object.prompt_tokens_details.cached_tokens") ??
      readNumber(usage.cache_read_input_tokens, "usage_object.cache_read_input_tokens"),
    write: readNumber(usage.cache_creation_input_tokens, "usage_object.cache_creation_input_tokens"),
    reasoning: readNumber(
      completionDetails?.reasoning_tokens,
      "usage_object.completion_tokens_details.reasoning_tokens",
    ),
  };
}

function errorType(metadata: SourceItem | undefined): string | undefined {
  const info = readObject(metadata?.error_information);
  return truncate(readString(info?.error_class) ?? readString(info?.error_code), 256);
}

function tags(row: SourceItem): string[] | undefined {
  const list = readArray(row.request_tags)
    ?.filter((t): t is string => typeof t === "string")
    .map((t) => truncate(t, 256) as string);
  return list === undefined || list.length === 0 ? undefined : list;
}

/** Hashes from the request text, kept only when the proxy stores prompts (store_prompts_in_spend_logs). */
function hashes(row: SourceItem, model: string) {
  const request = readObject(row.proxy_server_request);
  const messages = readArray(request?.messages) ?? readArray(row.messages);
  if (messages === undefined || messages.length === 0 || model === "") return {};
  const temperature = readNumber(request?.temperature, "proxy_server_request.temperature");
  return requestHashes({ model, messages, tools: request?.tools, temperature });
}

/** call_type is the proxy's route name (acompletion, aembedding, ...); the canonical operation is chat/embeddings. */
function operation(callType: string | undefined): string | undefined {
  if (callType === undefined) return undefined;
  if (callType.includes("embedding")) return "embeddings";
  if (callType.includes("completion") || callType.includes("responses")) return "chat";
  return truncate(callType, 64);
}

/** The SpendLogs columns, in the table's order. */
const SPEND_LOG_COLUMNS = [
  "request_id",
  "call_type",
  "api_key",
  "spend",
  "total_tokens",
  "prompt_tokens",
  "completion_tokens",
  "startTime",
  "endTime",
  "completionStartTime",
  "model",
  "model_group",
  "custom_llm_provider",
  "end_user",
  "metadata",
  "cache_hit",
  "request_tags",
  "team_id",
  "session_id",
  "status",
] as const;

function callType(operation: string | undefined): string | undefined {
  if (operation === "chat") return "acompletion";
  if (operation === "embeddings") return "aembedding";
  return operation;
}

function writeRow(record: UsageRecord): SourceItem {
  const failed = record.status === "error";
  const usage = {
    prompt_tokens: record.input_tokens,
    completion_tokens: record.output_tokens,
    total_tokens: record.input_tokens + record.output_tokens,
    prompt_tokens_details:
      record.cache_read_tokens === undefined ? undefined : { cached_tokens: record.cache_read_tokens },
    completion_tokens_details:
      record.reasoning_tokens === undefined ? undefined : { reasoning_tokens: record.reasoning_tokens },
    cache_creation_input_tokens: record.cache_write_tokens,
  };
  const row: Record<(typeof SPEND_LOG_COLUMNS)[number], unknown> = {
    request_id: record.id,
    call_type: callType(record.operation),
    api_key: record.api_key_id,
    spend: record.cost_usd,
    total_tokens: record.input_tokens + record.output_tokens,
    prompt_tokens: record.input_tokens,
    completion_tokens: record.output_tokens,
    startTime: record.timestamp,
    endTime: isoAfter(record.timestamp, record.duration_ms),
    completionStartTime: isoAfter(record.timestamp, record.ttft_ms),
    model: record.model,
    model_group: record.model,
    custom_llm_provider: record.provider,
    end_user: record.user_id,
    metadata: {
      usage_object: usage,
      error_information: failed && record.error_type !== undefined ? { error_class: record.error_type } : undefined,
    },
    cache_hit: record.status === "cache_hit" ? "True" : "False",
    request_tags: record.tags ?? [],
    team_id: record.project,
    session_id: record.session_id,
    status: failed ? "failure" : "success",
  };
  return row;
}

export const litellm: FormatMapper = {
  name: "litellm",
  matches: (item) => "request_id" in item && "startTime" in item && ("spend" in item || "model_group" in item),
  map(row) {
    const metadata = readObject(row.metadata);
    const start = readTimestamp(row.startTime, "startTime");
    const cache = cacheCounts(metadata);
    const failed = readString(row.status)?.toLowerCase() === "failure";
    const model = readString(row.model) ?? readString(row.model_group) ?? "";
    const record: UsageRecordInput = {
      id: readString(row.request_id) ?? stableId("litellm", row),
      timestamp: start ?? rejectItem("no startTime"),
      model,
      provider: readString(row.custom_llm_provider),
      input_tokens: readNumber(row.prompt_tokens, "prompt_tokens") ?? 0,
      output_tokens: readNumber(row.completion_tokens, "completion_tokens") ?? 0,
      cache_read_tokens: cache.read,
      cache_write_tokens: cache.write,
      reasoning_tokens: cache.reasoning,
      cost_usd: readNumber(row.spend, "spend"),
      duration_ms: millisBetween(start, readTimestamp(row.endTime, "endTime")),
      ttft_ms: millisBetween(start, readTimestamp(row.completionStartTime, "completionStartTime")),
      status: failed ? "error" : readBoolean(row.cache_hit) === true ? "cache_hit" : "success",
      error_type: failed ? (errorType(metadata) ?? "failure") : undefined,
      operation: operation(readString(row.call_type)),
      user_id: readString(row.end_user) ?? readString(row.user),
      session_id: readString(row.session_id),
      api_key_id: readString(row.api_key),
      project: readString(row.team_id),
      tags: tags(row),
      ...hashes(row, model),
    };
    return [record];
  },
  writer: { item: writeRow, csvColumns: SPEND_LOG_COLUMNS },
};
