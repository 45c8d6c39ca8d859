import type { UsageRecord, UsageRecordInput } from "../record.ts";
import { rejectItem, type FormatMapper, type SourceItem } from "./format.ts";
import { requestHashes } from "./request-hash.ts";
import {
  isoAfter,
  millisBetween,
  readArray,
  readNumber,
  readObject,
  readString,
  readTimestamp,
  truncate,
} from "./source-values.ts";

// Langfuse observations export (GET /api/public/observations, or the UI export as JSON/JSONL/CSV); only
// `type: "GENERATION"` observations are LLM calls. Trap: with detailed usage keys, Langfuse's `input` EXCLUDES the
// cached tokens (input_cached_tokens, cache_read_input_tokens, ...) and `output` EXCLUDES reasoning tokens
// (output_reasoning_tokens), and Langfuse itself totals every key containing "input" (resp. "output"). So do we.
// Written as GENERATION observations with those exclusive usageDetails keys. An observation always belongs to a trace:
// a call without a trace id is written as a trace of its own (traceId = its id). Provider, feature, tags, tier and
// the request hashes (the request text is not written) are not carried.

interface Tokens {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}

function firstCount(details: SourceItem, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const n = readNumber(details[key], `usageDetails.${key}`);
    if (n !== undefined) return n;
  }
  return undefined;
}

function fromUsageDetails(details: SourceItem): Tokens {
  let input = 0;
  let output = 0;
  for (const [key, value] of Object.entries(details)) {
    if (key === "total") continue;
    const n = readNumber(value, `usageDetails.${key}`) ?? 0;
    if (key.includes("input")) input += n;
    else if (key.includes("output")) output += n;
  }
  return {
    input,
    output,
    cacheRead: firstCount(details, ["input_cached_tokens", "cache_read_input_tokens", "input_cache_read"]),
    cacheWrite: firstCount(details, ["cache_creation_input_tokens", "input_cache_creation", "input_cache_write"]),
    reasoning: firstCount(details, ["output_reasoning_tokens", "output_reasoning"]),
  };
}

/** The deprecated `usage {input, output, total}` object: plain totals, no breakdown. */
function fromLegacyUsage(usage: SourceItem): Tokens {
  return {
    input: readNumber(usage.input, "usage.input") ?? 0,
    output: readNumber(usage.output, "usage.output") ?? 0,
  };
}

function tokens(observation: SourceItem): Tokens {
  const details = readObject(observation.usageDetails);
  if (details !== undefined && Object.keys(details).length > 0) return fromUsageDetails(details);
  const usage = readObject(observation.usage);
  if (usage !== undefined) return fromLegacyUsage(usage);
  return rejectItem("generation has neither usageDetails nor usage");
}

function cost(observation: SourceItem): number | undefined {
  const details = readObject(observation.costDetails);
  return (
    readNumber(details?.total, "costDetails.total") ??
    readNumber(observation.calculatedTotalCost, "calculatedTotalCost") ??
    readNumber(observation.totalCost, "totalCost")
  );
}

/** Hashes from the request text when the export kept it: input is a message list, or {messages, tools}. */
function hashes(observation: SourceItem, model: string, temperature: number | undefined) {
  const input = observation.input;
  const asObject = readObject(input);
  const messages =
    readArray(input) ?? readArray(asObject?.messages) ?? (typeof input === "string" ? [input] : undefined);
  if (messages === undefined || messages.length === 0 || model === "") return {};
  return requestHashes({ model, messages, tools: asObject?.tools, temperature });
}

/** usageDetails as Langfuse stores them: `input`/`output` exclude the cached and reasoning keys beside them. */
function writeUsageDetails(record: UsageRecord): SourceItem {
  const cacheRead = record.cache_read_tokens;
  const cacheWrite = record.cache_write_tokens;
  const reasoning = record.reasoning_tokens;
  const cacheReadKey = record.provider === "anthropic" ? "cache_read_input_tokens" : "input_cached_tokens";
  return {
    input: record.input_tokens - (cacheRead ?? 0) - (cacheWrite ?? 0),
    ...(cacheRead === undefined ? {} : { [cacheReadKey]: cacheRead }),
    ...(cacheWrite === undefined ? {} : { cache_creation_input_tokens: cacheWrite }),
    output: record.output_tokens - (reasoning ?? 0),
    ...(reasoning === undefined ? {} : { output_reasoning_tokens: reasoning }),
    total: record.input_tokens + record.output_tokens,
  };
}

function writeObservation(record: UsageRecord): SourceItem {
  const failed = record.status === "error";
  return {
    id: record.id,
    traceId: record.trace_id ?? record.id,
    type: "GENERATION",
    startTime: record.timestamp,
    endTime: isoAfter(record.timestamp, record.duration_ms),
    completionStartTime: isoAfter(record.timestamp, record.ttft_ms),
    model: record.model,
    modelParameters: { temperature: record.temperature, max_tokens: record.max_tokens },
    usageDetails: writeUsageDetails(record),
    costDetails: record.cost_usd === undefined ? {} : { total: record.cost_usd },
    level: failed ? "ERROR" : "DEFAULT",
    statusMessage: failed ? (record.error_type ?? null) : null,
    userId: record.user_id,
    sessionId: record.session_id,
    environment: record.environment,
  };
}

export const langfuse: FormatMapper = {
  name: "langfuse",
  matches: (item) => typeof item.type === "string" && "traceId" in item && "startTime" in item,
  map(observation) {
    if (observation.type !== "GENERATION") return [];
    const start = readTimestamp(observation.startTime, "startTime") ?? rejectItem("no startTime");
    const t = tokens(observation);
    const parameters = readObject(observation.modelParameters);
    const temperature = readNumber(parameters?.temperature, "modelParameters.temperature");
    const model = readString(observation.model) ?? "";
    const failed = observation.level === "ERROR";
    const record: UsageRecordInput = {
      id: readString(observation.id) ?? rejectItem("observation has no id"),
      timestamp: start,
      model,
      input_tokens: t.input,
      output_tokens: t.output,
      cache_read_tokens: t.cacheRead,
      cache_write_tokens: t.cacheWrite,
      reasoning_tokens: t.reasoning,
      cost_usd: cost(observation),
      duration_ms: millisBetween(start, readTimestamp(observation.endTime, "endTime")),
      ttft_ms: millisBetween(start, readTimestamp(observation.completionStartTime, "completionStartTime")),
      status: failed ? "error" : "success",
      error_type: failed ? (truncate(readString(observation.statusMessage), 256) ?? "error") : undefined,
      max_tokens: readNumber(parameters?.max_tokens ?? parameters?.maxTokens, "modelParameters.max_tokens"),
      temperature,
      operation: "chat",
      user_id: readString(observation.userId),
      session_id: readString(observation.sessionId),
      trace_id: readString(observation.traceId),
      environment: readString(observation.environment),
      ...hashes(observation, model, temperature),
    };
    return [record];
  },
  writer: { item: writeObservation },
};
