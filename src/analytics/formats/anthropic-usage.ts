import type { UsageRecordInput } from "../record.ts";
import { mapParts, rejectItem, type FormatMapper, type SourceItem } from "./format.ts";
import { isObject, readNumber, readServiceTier, readString, readTimestamp, sumCounts } from "./source-values.ts";
import { stableId } from "./stable-id.ts";

// Anthropic Admin API usage report buckets (GET /v1/organizations/usage_report/messages, one bucket a line or a whole
// page): `{starting_at, ending_at, results: [...]}`. Input is reported in parts that EXCLUDE each other
// (uncached_input_tokens, cache_read_input_tokens, cache_creation.ephemeral_5m/1h_input_tokens), so canonical
// input is their sum. The report has no request count: each result is one record with num_requests left at 1.

function cacheCreation(result: SourceItem): number | undefined {
  const split = isObject(result.cache_creation) ? result.cache_creation : result;
  const prefix = split === result ? "cache_creation_" : "ephemeral_";
  return sumCounts(
    readNumber(split[`${prefix}5m_input_tokens`], "cache_creation.ephemeral_5m_input_tokens"),
    readNumber(split[`${prefix}1h_input_tokens`], "cache_creation.ephemeral_1h_input_tokens"),
  );
}

function mapResult(result: SourceItem, bucket: SourceItem, index: number, timestamp: string): UsageRecordInput {
  const uncached = readNumber(result.uncached_input_tokens, "uncached_input_tokens") ?? 0;
  const cacheRead = readNumber(result.cache_read_input_tokens, "cache_read_input_tokens");
  const cacheWrite = cacheCreation(result);
  return {
    id: stableId("anthropic-usage", bucket, index),
    timestamp,
    model: readString(result.model) ?? "",
    provider: "anthropic",
    input_tokens: uncached + (cacheRead ?? 0) + (cacheWrite ?? 0),
    output_tokens: readNumber(result.output_tokens, "output_tokens") ?? 0,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    service_tier: readServiceTier(result.service_tier),
    operation: "chat",
    project: readString(result.workspace_id),
    api_key_id: readString(result.api_key_id),
  };
}

export const anthropicUsage: FormatMapper = {
  name: "anthropic-usage",
  unwritable:
    "usage report buckets add up many calls per model and time and keep none of their ids; write anthropic (one " +
    "Messages response a call) or canonical instead.",
  matches: (item) => "starting_at" in item && Array.isArray(item.results),
  map(item) {
    const timestamp = readTimestamp(item.starting_at, "starting_at") ?? rejectItem("bucket has no starting_at");
    const results = Array.isArray(item.results) ? item.results : [];
    return mapParts(results, (i) => `results[${i}]`, (result: unknown, index) => {
      if (!isObject(result)) rejectItem("not an object");
      return mapResult(result, item, index, timestamp);
    });
  },
};
