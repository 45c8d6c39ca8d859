import type { UsageRecord, UsageRecordInput } from "../record.ts";
import { rejectItem, type FormatMapper, type SourceItem } from "./format.ts";
import { isObject, readNumber, readServiceTier, readString, readTimestamp, sumCounts } from "./source-values.ts";

// Anthropic Messages API responses (`type: "message"` with `usage`), one per line, or Message Batches result lines
// (`{custom_id, result: {type: "succeeded", message}}`). Trap: usage.input_tokens EXCLUDES cache_read_input_tokens
// and cache_creation_input_tokens, so canonical input = input + cache_read + cache_creation.
// A response carries no time: a line needs a `timestamp` (or `created_at`) added by the logger, or --start-time.
// Written the same way (logger timestamp + response, batch tier as a batch result line); a response is a success, so
// status, error, latency, cost and attribution are not carried, and the provider is always anthropic.

function isMessage(value: unknown): value is SourceItem {
  return isObject(value) && value.type === "message" && isObject(value.usage);
}

function batchMessage(item: SourceItem): SourceItem | undefined {
  const result = item.result;
  return isObject(result) && isMessage(result.message) ? result.message : undefined;
}

function cacheCreation(usage: SourceItem): number | undefined {
  const direct = readNumber(usage.cache_creation_input_tokens, "usage.cache_creation_input_tokens");
  if (direct !== undefined) return direct;
  const split = isObject(usage.cache_creation) ? usage.cache_creation : undefined;
  return split === undefined
    ? undefined
    : sumCounts(
        readNumber(split.ephemeral_5m_input_tokens, "usage.cache_creation.ephemeral_5m_input_tokens"),
        readNumber(split.ephemeral_1h_input_tokens, "usage.cache_creation.ephemeral_1h_input_tokens"),
      );
}

function mapMessage(message: SourceItem, timestamp: string, batch: boolean): UsageRecordInput {
  const usage = message.usage as SourceItem;
  const uncached = readNumber(usage.input_tokens, "usage.input_tokens") ?? 0;
  const cacheRead = readNumber(usage.cache_read_input_tokens, "usage.cache_read_input_tokens");
  const cacheWrite = cacheCreation(usage);
  const stop = readString(message.stop_reason);
  return {
    id: readString(message.id) ?? rejectItem("message has no `id`"),
    timestamp,
    model: readString(message.model) ?? "",
    provider: "anthropic",
    input_tokens: uncached + (cacheRead ?? 0) + (cacheWrite ?? 0),
    output_tokens: readNumber(usage.output_tokens, "usage.output_tokens") ?? 0,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    // Canonical "length" means the output was cut off by max_tokens.
    finish_reason: stop === "max_tokens" ? "length" : stop,
    service_tier: batch ? "batch" : readServiceTier(usage.service_tier),
    operation: "chat",
  };
}

function writeMessage(record: UsageRecord): SourceItem {
  const cacheRead = record.cache_read_tokens;
  const cacheWrite = record.cache_write_tokens;
  return {
    id: record.id,
    type: "message",
    role: "assistant",
    model: record.model,
    content: [],
    stop_reason: record.finish_reason === "length" ? "max_tokens" : (record.finish_reason ?? null),
    stop_sequence: null,
    usage: {
      // Anthropic's input_tokens is the uncached rest: canonical input minus the cache reads and writes.
      input_tokens: record.input_tokens - (cacheRead ?? 0) - (cacheWrite ?? 0),
      cache_creation_input_tokens: cacheWrite ?? null,
      cache_read_input_tokens: cacheRead ?? null,
      output_tokens: record.output_tokens,
      service_tier: record.service_tier ?? null,
    },
  };
}

function writeCall(record: UsageRecord): SourceItem {
  const message = writeMessage(record);
  if (record.service_tier !== "batch") return { timestamp: record.timestamp, ...message };
  return { timestamp: record.timestamp, custom_id: record.id, result: { type: "succeeded", message } };
}

export const anthropic: FormatMapper = {
  name: "anthropic",
  matches: (item) => isMessage(item) || batchMessage(item) !== undefined,
  map(item, options) {
    const timestamp =
      readTimestamp(item.timestamp ?? item.created_at, "timestamp") ??
      readTimestamp(options.startTime, "startTime") ??
      rejectItem("no time: Anthropic responses carry none; add a `timestamp` to each line or pass a start time");
    const wrapped = batchMessage(item);
    if (wrapped !== undefined) {
      return [{ ...mapMessage(wrapped, timestamp, true), id: readString(item.custom_id) ?? String(wrapped.id) }];
    }
    if (!isMessage(item)) rejectItem("not a Messages API response (`type: \"message\"` with `usage`)");
    return [mapMessage(item, timestamp, false)];
  },
  writer: { item: writeCall },
};
