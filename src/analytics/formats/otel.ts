import type { UsageRecord, UsageRecordInput } from "../record.ts";
import { mapParts, rejectItem, type FormatMapper, type MappedPart, type SourceItem } from "./format.ts";
import { epochToIso, isObject, readNumber, readString, truncate } from "./source-values.ts";
import { sha256Hex } from "./stable-id.ts";

// OTLP/JSON trace exports (`resourceSpans[].scopeSpans[].spans[]`), one export per line: each span with gen_ai.usage
// attributes is one call; other spans (HTTP, agent, tool spans) are skipped. The GenAI semantic conventions count
// input inclusively: gen_ai.usage.cache_read.input_tokens ⊂ gen_ai.usage.input_tokens, as in the canonical record.
// Written as one export a line holding one CLIENT span. OTLP ids are hex (16 digits a span, 32 a trace): other ids
// are written as a hash of themselves, so they read back changed but still tell calls and traces apart.

const STATUS_CODE_ERROR = 2;

type Attributes = Map<string, unknown>;

/** An OTLP AnyValue as a plain value (intValue is a string in OTLP/JSON, since it is 64-bit). */
function anyValue(value: unknown): unknown {
  if (!isObject(value)) return undefined;
  if ("stringValue" in value) return value.stringValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return Number(value.doubleValue);
  if ("boolValue" in value) return value.boolValue;
  if (isObject(value.arrayValue) && Array.isArray(value.arrayValue.values)) {
    return value.arrayValue.values.map(anyValue);
  }
  return undefined;
}

function attributes(list: unknown): Attributes {
  const out: Attributes = new Map();
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    if (isObject(entry) && typeof entry.key === "string") out.set(entry.key, anyValue(entry.value));
  }
  return out;
}

function count(attrs: Attributes, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const n = readNumber(attrs.get(key), key);
    if (n !== undefined) return n;
  }
  return undefined;
}

/** Unix nanoseconds (a decimal string in OTLP/JSON) as ISO 8601, via BigInt to keep the precision. */
function nanosToIso(value: unknown, field: string): string | undefined {
  const text = readString(value);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) rejectItem(`${field} is not unix nanoseconds (${JSON.stringify(value)})`);
  return epochToIso(Number(BigInt(text) / 1_000_000n), field);
}

function nanosBetween(start: unknown, end: unknown): number | undefined {
  const a = readString(start);
  const b = readString(end);
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return undefined;
  const ns = BigInt(b) - BigInt(a);
  return ns >= 0n ? Number(ns) / 1e6 : undefined;
}

function statusMessage(span: SourceItem): string | undefined {
  return isObject(span.status) ? readString(span.status.message) : undefined;
}

function isGenAiCall(attrs: Attributes): boolean {
  return (
    attrs.has("gen_ai.usage.input_tokens") ||
    attrs.has("gen_ai.usage.output_tokens") ||
    attrs.has("gen_ai.usage.prompt_tokens") ||
    attrs.has("gen_ai.usage.completion_tokens")
  );
}

function mapSpan(span: SourceItem, resource: Attributes): UsageRecordInput | undefined {
  const attrs = attributes(span.attributes);
  if (!isGenAiCall(attrs)) return undefined;
  const status = isObject(span.status) ? readNumber(span.status.code, "status.code") : undefined;
  const failed = status === STATUS_CODE_ERROR;
  const finish = attrs.get("gen_ai.response.finish_reasons");
  const str = (key: string) => readString(attrs.get(key));
  return {
    id: readString(span.spanId) ?? rejectItem("span has no spanId"),
    timestamp: nanosToIso(span.startTimeUnixNano, "startTimeUnixNano") ?? rejectItem("span has no startTimeUnixNano"),
    model: str("gen_ai.response.model") ?? str("gen_ai.request.model") ?? "",
    provider: str("gen_ai.provider.name") ?? str("gen_ai.system"),
    input_tokens: count(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens") ?? 0,
    output_tokens: count(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens") ?? 0,
    cache_read_tokens: count(attrs, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens"),
    cache_write_tokens: count(
      attrs,
      "gen_ai.usage.cache_creation.input_tokens",
      "gen_ai.usage.cache_creation_input_tokens",
    ),
    reasoning_tokens: count(attrs, "gen_ai.usage.reasoning.output_tokens"),
    duration_ms: nanosBetween(span.startTimeUnixNano, span.endTimeUnixNano),
    status: failed ? "error" : "success",
    error_type: failed
      ? truncate(str("error.type") ?? statusMessage(span) ?? "error", 256)
      : undefined,
    finish_reason: readString(Array.isArray(finish) ? finish[0] : finish),
    max_tokens: count(attrs, "gen_ai.request.max_tokens"),
    temperature: count(attrs, "gen_ai.request.temperature"),
    operation: str("gen_ai.operation.name"),
    session_id: str("gen_ai.conversation.id") ?? str("session.id"),
    user_id: str("user.id") ?? str("enduser.id"),
    trace_id: readString(span.traceId),
    environment: readString(resource.get("deployment.environment.name") ?? resource.get("deployment.environment")),
  };
}

const SPAN_KIND_CLIENT = 3;
const SPAN_ID = /^[0-9a-f]{16}$/;
const TRACE_ID = /^[0-9a-f]{32}$/;
const NANOS_PER_MS = 1_000_000n;

function spanIdOf(id: string): string {
  return SPAN_ID.test(id) ? id : sha256Hex(id).slice(0, 16);
}

/** A call without a trace is the root of a trace of its own, named after the call. */
function traceIdOf(record: UsageRecord): string {
  const id = record.trace_id ?? record.id;
  return TRACE_ID.test(id) ? id : sha256Hex(id).slice(0, 32);
}

/** An attribute in OTLP/JSON: 64-bit integers as decimal strings, other numbers as doubles. */
function attribute(key: string, value: string | number | string[], integer = false): SourceItem {
  if (Array.isArray(value)) {
    return { key, value: { arrayValue: { values: value.map((v) => ({ stringValue: v })) } } };
  }
  if (typeof value === "string") return { key, value: { stringValue: value } };
  return { key, value: integer ? { intValue: String(value) } : { doubleValue: value } };
}

function spanAttributes(record: UsageRecord): SourceItem[] {
  const strings: [string, string | undefined][] = [
    ["gen_ai.operation.name", record.operation],
    ["gen_ai.provider.name", record.provider],
    ["gen_ai.request.model", record.model],
    ["gen_ai.response.model", record.model],
    ["gen_ai.conversation.id", record.session_id],
    ["user.id", record.user_id],
    ["error.type", record.status === "error" ? record.error_type : undefined],
  ];
  const counts: [string, number | undefined][] = [
    ["gen_ai.request.max_tokens", record.max_tokens],
    ["gen_ai.usage.input_tokens", record.input_tokens],
    ["gen_ai.usage.output_tokens", record.output_tokens],
    ["gen_ai.usage.cache_read.input_tokens", record.cache_read_tokens],
    ["gen_ai.usage.cache_creation.input_tokens", record.cache_write_tokens],
    ["gen_ai.usage.reasoning.output_tokens", record.reasoning_tokens],
  ];
  return [
    ...strings.flatMap(([key, value]) => (value === undefined ? [] : [attribute(key, value)])),
    ...(record.temperature === undefined ? [] : [attribute("gen_ai.request.temperature", record.temperature)]),
    ...counts.flatMap(([key, value]) => (value === undefined ? [] : [attribute(key, value, true)])),
    ...(record.finish_reason === undefined ? [] : [attribute("gen_ai.response.finish_reasons", [record.finish_reason])]),
  ];
}

function writeExport(record: UsageRecord): SourceItem {
  const start = BigInt(Date.parse(record.timestamp)) * NANOS_PER_MS;
  const duration = record.duration_ms === undefined ? undefined : BigInt(Math.round(record.duration_ms * 1e6));
  const environment = record.environment;
  const span = {
    traceId: traceIdOf(record),
    spanId: spanIdOf(record.id),
    name: record.operation === undefined ? record.model : `${record.operation} ${record.model}`,
    kind: SPAN_KIND_CLIENT,
    startTimeUnixNano: String(start),
    endTimeUnixNano: duration === undefined ? undefined : String(start + duration),
    attributes: spanAttributes(record),
    status: record.status === "error" ? { code: STATUS_CODE_ERROR, message: record.error_type } : {},
  };
  const resource = environment === undefined ? [] : [attribute("deployment.environment.name", environment)];
  return {
    resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope: { name: "apex" }, spans: [span] }] }],
  };
}

export const otel: FormatMapper = {
  name: "otel",
  matches: (item) => Array.isArray(item.resourceSpans),
  map(item) {
    const out: MappedPart[] = [];
    (item.resourceSpans as unknown[]).forEach((resourceSpans, r) => {
      if (!isObject(resourceSpans)) return;
      const resource = attributes(isObject(resourceSpans.resource) ? resourceSpans.resource.attributes : undefined);
      const scopes = Array.isArray(resourceSpans.scopeSpans) ? resourceSpans.scopeSpans : [];
      scopes.forEach((scopeSpans: unknown, s) => {
        if (!isObject(scopeSpans) || !Array.isArray(scopeSpans.spans)) return;
        const label = (i: number) => `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`;
        const mapOne = (span: unknown) => (isObject(span) ? mapSpan(span, resource) : undefined);
        out.push(...mapParts(scopeSpans.spans, label, mapOne));
      });
    });
    return out;
  },
  writer: { item: writeExport, readId: spanIdOf },
};
