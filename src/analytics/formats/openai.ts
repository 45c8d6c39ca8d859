import type { UsageRecord, UsageRecordInput } from "../record.ts";
import { rejectItem, type FormatMapper, type SourceItem } from "./format.ts";
import {
  isObject,
  readEpochSeconds,
  readNumber,
  readServiceTier,
  readString,
  readTimestamp,
  truncate,
} from "./source-values.ts";
import { stableId } from "./stable-id.ts";

// OpenAI response objects with `usage`, one per line: Chat Completions (`object: "chat.completion"`, prompt_tokens /
// completion_tokens), Responses (`object: "response"`, input_tokens / output_tokens), embeddings (`object: "list"`),
// and Batch API output lines that wrap one of those in `response.body`. OpenAI counts are already inclusive:
// cached_tokens ⊂ prompt/input tokens, reasoning_tokens ⊂ completion/output tokens.
// Written as Responses objects (the shape that carries status, error, max_output_tokens, temperature and user), batch
// tier calls as Batch API output lines. `created_at` is whole epoch seconds; there are no cache writes, no provider.

const RESPONSE_OBJECTS = new Set(["chat.completion", "response", "text_completion", "list"]);

function isResponseObject(value: unknown): value is SourceItem {
  return isObject(value) && RESPONSE_OBJECTS.has(String(value.object)) && isObject(value.usage);
}

/** A chat completion logged without its `object` field still has usage.prompt_tokens and a model. */
function hasChatUsage(item: SourceItem): boolean {
  return isObject(item.usage) && item.usage.prompt_tokens !== undefined && typeof item.model === "string";
}

/** A Batch API output line: `{custom_id, response: {status_code, body}, error}`. */
function batchBody(item: SourceItem): SourceItem | undefined {
  const response = item.response;
  return isObject(response) && isResponseObject(response.body) ? response.body : undefined;
}

function finishReason(body: SourceItem): string | undefined {
  if (Array.isArray(body.choices)) {
    const first: unknown = body.choices[0];
    return isObject(first) ? readString(first.finish_reason) : undefined;
  }
  if (body.status === "incomplete") {
    const reason = isObject(body.incomplete_details) ? readString(body.incomplete_details.reason) : undefined;
    // Canonical "length" means the output was cut off by the token limit.
    return reason === "max_output_tokens" ? "length" : reason;
  }
  return body.status === "completed" ? "stop" : undefined;
}

function mapBody(body: SourceItem, options: { timestamp?: string; batch: boolean }): UsageRecordInput {
  const usage = body.usage as SourceItem;
  const responses = body.object === "response" || "input_tokens" in usage;
  const inDetails = responses ? usage.input_tokens_details : usage.prompt_tokens_details;
  const outDetails = responses ? usage.output_tokens_details : usage.completion_tokens_details;
  const failed = body.status === "failed";
  const error = isObject(body.error) ? body.error : undefined;
  const created = readEpochSeconds(body.created ?? body.created_at, "created");
  const timestamp = created ?? options.timestamp ?? rejectItem("no `created` time");
  return {
    id: readString(body.id) ?? stableId("openai", body),
    timestamp,
    model: readString(body.model) ?? "",
    provider: "openai",
    input_tokens: readNumber(responses ? usage.input_tokens : usage.prompt_tokens, "usage.prompt_tokens") ?? 0,
    output_tokens:
      readNumber(responses ? usage.output_tokens : usage.completion_tokens, "usage.completion_tokens") ?? 0,
    cache_read_tokens: isObject(inDetails) ? readNumber(inDetails.cached_tokens, "cached_tokens") : undefined,
    reasoning_tokens: isObject(outDetails) ? readNumber(outDetails.reasoning_tokens, "reasoning_tokens") : undefined,
    status: failed ? "error" : "success",
    error_type: failed ? truncate(readString(error?.code) ?? "failed", 256) : undefined,
    finish_reason: finishReason(body),
    max_tokens: readNumber(body.max_output_tokens, "max_output_tokens"),
    temperature: readNumber(body.temperature, "temperature"),
    service_tier: options.batch ? "batch" : readServiceTier(body.service_tier),
    operation: body.object === "list" ? "embeddings" : "chat",
    user_id: readString(body.safety_identifier) ?? readString(body.user),
  };
}

/** Canonical tier → Responses `service_tier`: "default" is OpenAI's standard, and a batch line's body says it too. */
function serviceTier(tier: UsageRecord["service_tier"]): string | undefined {
  return tier === "standard" || tier === "batch" ? "default" : tier;
}

/** Only the token limit and the content filter end a response early; every other ending is `completed`. */
function ending(record: UsageRecord): { status: string; incomplete_details: SourceItem | null } {
  if (record.status === "error") return { status: "failed", incomplete_details: null };
  if (record.finish_reason === "length") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (record.finish_reason === "content_filter") {
    return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  }
  return { status: "completed", incomplete_details: null };
}

function responseObject(record: UsageRecord): SourceItem {
  const failed = record.status === "error";
  return {
    id: record.id,
    object: "response",
    created_at: Math.floor(Date.parse(record.timestamp) / 1000),
    ...ending(record),
    error: failed && record.error_type !== undefined ? { code: record.error_type, message: record.error_type } : null,
    model: record.model,
    output: [],
    max_output_tokens: record.max_tokens ?? null,
    temperature: record.temperature ?? null,
    service_tier: serviceTier(record.service_tier),
    safety_identifier: record.user_id ?? null,
    usage: {
      input_tokens: record.input_tokens,
      input_tokens_details: { cached_tokens: record.cache_read_tokens ?? 0 },
      output_tokens: record.output_tokens,
      output_tokens_details: { reasoning_tokens: record.reasoning_tokens ?? 0 },
      total_tokens: record.input_tokens + record.output_tokens,
    },
  };
}

function writeCall(record: UsageRecord): SourceItem {
  if (record.service_tier !== "batch") return responseObject(record);
  const body = responseObject(record);
  return {
    id: `batch_req_${record.id}`,
    custom_id: record.id,
    response: { status_code: 200, request_id: record.id, body },
    error: null,
  };
}

export const openai: FormatMapper = {
  name: "openai",
  matches: (item) => hasChatUsage(item) || isResponseObject(item) || batchBody(item) !== undefined,
  map(item) {
    const wrapped = batchBody(item);
    if (wrapped !== undefined) {
      const record = mapBody(wrapped, { batch: true, timestamp: readTimestamp(item.timestamp, "timestamp") });
      return [{ ...record, id: readString(item.custom_id) ?? record.id }];
    }
    if (!isObject(item.usage)) rejectItem("no `usage` object: only responses that carry usage can be ingested");
    return [mapBody(item, { batch: false, timestamp: readTimestamp(item.timestamp, "timestamp") })];
  },
  writer: { item: writeCall },
};
