import type { OpportunityKindName } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import type { AnswerKeyBuilder } from "./answer-key.ts";
import type { Prng } from "./prng.ts";
import type { ModelSpec, WasteRates } from "./saas-scenario.ts";

// What every episode builder receives: randomness, ids, the waste rates, the price function, the answer key,
// and the little state that crosses episodes (provider caches, recent answers). One per generated workload.

/** Prices one record; null when its model has no price. */
export type PriceFunction = (record: UsageRecord) => number | null;

/** Canonical field order, so equal workloads serialize to equal bytes. */
const KEY_ORDER: readonly (keyof UsageRecord)[] = [
  "id", "timestamp", "model", "provider", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
  "reasoning_tokens", "cost_usd", "duration_ms", "ttft_ms", "status", "error_type", "finish_reason", "max_tokens",
  "temperature", "stream", "service_tier", "operation", "user_id", "session_id", "trace_id", "feature", "environment",
  "project", "api_key_id", "tags", "request_hash", "prefix_hash", "prefix_tokens", "num_requests",
];

export interface CallSpec {
  atMs: number;
  model: ModelSpec;
  /** A feature of the scenario being generated. */
  feature: string;
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
  status?: UsageRecord["status"];
  errorType?: string;
  finishReason?: string;
  maxTokens?: number;
  temperature?: number;
  stream: boolean;
  serviceTier: NonNullable<UsageRecord["service_tier"]>;
  userId?: string;
  sessionId?: string;
  traceId?: string;
  tags: string[];
  requestHash: string;
  prefixHash: string;
  prefixTokens: number;
  /** Fixed duration (a timeout); otherwise derived from the token counts. */
  durationMs?: number;
}

/** A recent successful search answer that a later identical request could have reused. */
export interface RecentAnswer {
  requestHash: string;
  input: number;
  output: number;
  prefixIndex: number;
  endMs: number;
}

export class EpisodeContext {
  readonly prng: Prng;
  readonly rates: Readonly<WasteRates>;
  /** Last time each search prefix was written or read in Anthropic's cache (by a call that asked for caching). */
  readonly searchCacheUsedAt = new Map<number, number>();
  /** Last time each search prefix was sent at all: the cache state had every call asked for caching. */
  readonly searchPrefixSentAt = new Map<number, number>();
  readonly recentAnswers: RecentAnswer[] = [];
  /** Latest timestamp of any agent call so far (OpenAI caches the shared agent prefix across traces). */
  agentLastCallMs = Number.NEGATIVE_INFINITY;
  private sequence = 0;
  private readonly idPrefix: string;
  private readonly price: PriceFunction;
  private readonly key: AnswerKeyBuilder;

  constructor(options: { prng: Prng; rates: Readonly<WasteRates>; seed: number; price: PriceFunction; key: AnswerKeyBuilder }) {
    this.prng = options.prng;
    this.rates = options.rates;
    this.idPrefix = `gen-${options.seed}-`;
    this.price = options.price;
    this.key = options.key;
  }

  /** A random 16-hex-digit hash (request and session identities). */
  hash(): string {
    return this.prng.hex(16);
  }

  cost(record: UsageRecord): number | null {
    return this.price(record);
  }

  /** Builds one canonical record, with latency from the token counts unless the spec fixes it. */
  call(spec: CallSpec): UsageRecord {
    const streamed = spec.stream;
    const ttft = Math.round((250 + spec.input * 0.02) * this.prng.logNormal(1, 0.25));
    const decode = spec.output * spec.model.msPerOutputToken * this.prng.logNormal(1, 0.15);
    const duration = spec.durationMs ?? Math.round(ttft + decode);
    const fields: Partial<UsageRecord> = {
      id: this.idPrefix + (this.sequence++).toString(36).padStart(6, "0"),
      timestamp: new Date(spec.atMs).toISOString(),
      model: spec.model.model,
      provider: spec.model.provider,
      input_tokens: spec.input,
      output_tokens: spec.output,
      cache_read_tokens: spec.cacheRead || undefined,
      cache_write_tokens: spec.cacheWrite || undefined,
      reasoning_tokens: spec.reasoning,
      duration_ms: duration,
      ttft_ms: streamed && spec.status !== "error" ? Math.min(ttft, duration) : undefined,
      status: spec.status ?? "success",
      error_type: spec.errorType,
      finish_reason: spec.finishReason,
      max_tokens: spec.maxTokens,
      temperature: spec.temperature,
      stream: streamed,
      service_tier: spec.serviceTier,
      operation: "chat",
      user_id: spec.userId,
      session_id: spec.sessionId,
      trace_id: spec.traceId,
      feature: spec.feature,
      environment: "production",
      project: "helpdesk",
      api_key_id: `key-${spec.feature}`,
      tags: spec.tags,
      request_hash: spec.requestHash,
      prefix_hash: spec.prefixHash,
      prefix_tokens: spec.prefixTokens,
      num_requests: 1,
    };
    const ordered: Record<string, unknown> = {};
    for (const name of KEY_ORDER) if (fields[name] !== undefined) ordered[name] = fields[name];
    return ordered as UsageRecord;
  }

  /**
   * Records `record` as planted waste of `kind`. Its savings are its cost minus the cost of `fixed`, the same call
   * done right (null: the call should not have happened at all).
   */
  plant(kind: OpportunityKindName, record: UsageRecord, fixed: UsageRecord | null): void {
    const actual = this.price(record);
    const better = fixed === null ? 0 : this.price(fixed);
    const savings = actual === null || better === null ? null : actual - better;
    this.key.plant(kind, { feature: record.feature ?? "", model: record.model }, record.id, savings);
  }
}

/** Tokens OpenAI bills as cached for a repeated prompt prefix: nothing below 1,024, then 128-token steps. */
export function openAiCachedTokens(sharedPrefix: number): number {
  return sharedPrefix < 1024 ? 0 : 1024 + Math.floor((sharedPrefix - 1024) / 128) * 128;
}

/** A log-normal draw rounded and held within [min, max]. */
export function tokens(prng: Prng, fit: { median: number; sigma: number }, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(prng.logNormal(fit.median, fit.sigma))));
}
