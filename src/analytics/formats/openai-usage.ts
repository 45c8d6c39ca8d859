import type { UsageRecordInput } from "../record.ts";
import { mapParts, rejectItem, type FormatMapper, type SourceItem } from "./format.ts";
import { isObject, readBoolean, readEpochSeconds, readNumber, readServiceTier, readString } from "./source-values.ts";
import { stableId } from "./stable-id.ts";

// OpenAI Usage API buckets (GET /v1/organization/usage/completions, one bucket a line or a whole page):
// `{object: "bucket", start_time, end_time, results: [...]}`. Each result is pre-aggregated, so it becomes one record
// with num_requests = num_model_requests. input_tokens already includes input_cached_tokens.

const RESULT_PREFIX = "organization.usage.";

function mapResult(result: SourceItem, bucket: SourceItem, index: number, timestamp: string) {
  const requests = readNumber(result.num_model_requests, "num_model_requests");
  const input = readNumber(result.input_tokens, "input_tokens") ?? 0;
  const output = readNumber(result.output_tokens, "output_tokens") ?? 0;
  // An empty group (no request, no token) is not a call: skip it instead of failing num_requests > 0.
  if (requests === 0 && input === 0 && output === 0) return undefined;
  const kind = String(result.object).slice(RESULT_PREFIX.length).replace(/\.result$/, "");
  const record: UsageRecordInput = {
      id: stableId("openai-usage", bucket, index),
      timestamp,
      model: readString(result.model) ?? "",
      provider: "openai",
      input_tokens: input,
      output_tokens: output,
      cache_read_tokens: readNumber(result.input_cached_tokens, "input_cached_tokens"),
      service_tier: readBoolean(result.batch) === true ? "batch" : readServiceTier(result.service_tier),
      operation: kind === "completions" ? "chat" : kind,
      project: readString(result.project_id),
      user_id: readString(result.user_id),
      api_key_id: readString(result.api_key_id),
      num_requests: requests,
  };
  return record;
}

export const openaiUsage: FormatMapper = {
  name: "openai-usage",
  unwritable:
    "Usage API buckets add up many calls per model and time and keep none of their ids; write openai (one " +
    "Responses object a call) or canonical instead.",
  matches: (item) => item.object === "bucket" && Array.isArray(item.results) && "start_time" in item,
  map(item) {
    const timestamp = readEpochSeconds(item.start_time, "start_time") ?? rejectItem("bucket has no start_time");
    const results = Array.isArray(item.results) ? item.results : [];
    return mapParts(results, (i) => `results[${i}]`, (result: unknown, index) => {
      if (!isObject(result) || !String(result.object).startsWith(RESULT_PREFIX)) {
        rejectItem("not an organization.usage result");
      }
      return mapResult(result, item, index, timestamp);
    });
  },
};
