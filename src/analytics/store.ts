import type {
  FailedAttemptRow,
  FeatureModelRow,
  LongInputRow,
  PrefixCachingRow,
  SessionContextRow,
  TierUsageRow,
} from "./analysis-rows.ts";
import type { PricedUsageRecord, UsageRecord } from "./record.ts";
import type { UsageEngine } from "./sql-dialect.ts";
import type { CorpusDescription, CorpusSummary } from "../protocol/rest.ts";

export type {
  FailedAttemptRow,
  FeatureModelRow,
  LongInputRow,
  PrefixCachingRow,
  SessionContextRow,
  TierUsageRow,
} from "./analysis-rows.ts";

// The usage store: where ingested usage records live, per owner account, and the typed answers the analyses read.
// Two engines implement it (store-duckdb.ts embedded, store-postgres.ts server); the queries are shared (usage-queries.ts).

/**
 * What a query looks at. `owner` is the Apex account that ingested the rows (not a record's own user_id) and is always
 * applied, so one account never sees another's rows. `from` is inclusive, `to` exclusive: ISO 8601 timestamps with an
 * offset, or plain dates (midnight UTC). An empty list of models or features means no filter. The signal is not part of
 * what is looked at, only of how long anyone waits for it.
 */
export interface Scope {
  owner: string;
  /** Stops the query in the database when it aborts (a cancelled run, a tool past its deadline). */
  signal?: AbortSignal;
  corpus?: string;
  from?: string;
  to?: string;
  models?: readonly string[];
  features?: readonly string[];
}

export interface InsertResult {
  inserted: number;
  /** Records whose (owner, id) was already stored, or repeated within the batch: nothing is written for them. */
  duplicates: number;
}

export interface UsageTotals {
  records: number;
  /** Σ num_requests: a pre-aggregated bucket counts as its calls. */
  calls: number;
  /** Σ effective cost over priced rows; null when no row is priced. */
  cost_usd: number | null;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  /** First and last call (ISO, UTC) and the span between them in days (fractional; 0 for a single instant). */
  period: { from: string | null; to: string | null; days: number };
}

export interface UnpricedModel {
  model: string;
  calls: number;
  records: number;
}

/** Groupings of breakdown(); `day` (YYYY-MM-DD) and `hour_of_day` (00..23) are UTC and sort by time, the rest by cost. */
export const BREAKDOWN_DIMENSIONS = [
  "model", "provider", "feature", "user_id", "project", "environment", "service_tier", "api_key_id", "operation", "day",
  "hour_of_day",
] as const;
export type BreakdownDimension = (typeof BREAKDOWN_DIMENSIONS)[number];

export interface UsageBreakdownRow {
  /** The dimension's value; null for rows that do not carry it. */
  key: string | null;
  records: number;
  calls: number;
  cost_usd: number | null;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
}

export type PercentileDimension = "model" | "feature";

export interface TokenPercentiles {
  key: string | null;
  /** Single calls measured (pre-aggregated buckets are left out: they carry sums, not per-call sizes). */
  calls: number;
  input_tokens: { p50: number; p90: number; p99: number };
  output_tokens: { p50: number; p90: number; p99: number };
  /** Null when no call of the group reports a duration. */
  duration_ms: { p50: number; p90: number; p99: number } | null;
}

export interface PrefixReuseRow {
  prefix_hash: string;
  model: string;
  provider: string | null;
  calls: number;
  prefix_tokens: number;
  /** Calls whose previous call with the same prefix and model came within the window (a warm provider cache). */
  hits: number;
  hit_prefix_tokens: number;
  /** Cache-read tokens already billed on those hits (0 = the prefix is paid as uncached input). */
  hit_cache_read_tokens: number;
  example_ids: string[];
}

export interface DuplicateRequestRow {
  request_hash: string;
  model: string;
  feature: string | null;
  calls: number;
  /** Calls sent again within the window after an earlier successful, non-truncated answer to the same request. */
  repeats: number;
  repeat_cost_usd: number | null;
  unpriced_repeats: number;
  mean_cost_usd: number | null;
  example_ids: string[];
}

export interface FailedBilledRow {
  model: string;
  error_type: string | null;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number | null;
  unpriced_calls: number;
  example_ids: string[];
}

export interface RetryAfterErrorRow {
  model: string;
  feature: string | null;
  /** Failed calls re-sent (same request_hash) within the window: the wasted attempts. */
  retried_errors: number;
  wasted_cost_usd: number | null;
  unpriced_attempts: number;
  example_ids: string[];
}

export interface TruncationRow {
  model: string;
  feature: string | null;
  /** Calls cut off by max_tokens (finish_reason = length). */
  truncated_calls: number;
  /** Those re-sent (same request_hash) within the window. */
  retried_calls: number;
  retried_cost_usd: number | null;
  retried_output_tokens: number;
  max_tokens: number | null;
  example_ids: string[];
}

export interface SessionGrowthRow {
  session_id: string;
  model: string;
  feature: string | null;
  user_id: string | null;
  turns: number;
  first_input_tokens: number;
  last_input_tokens: number;
  max_input_tokens: number;
  total_input_tokens: number;
  /** Least-squares growth of input tokens per turn. */
  slope_tokens_per_turn: number | null;
  /** last / first input tokens; null when the first turn had no input. */
  growth_ratio: number | null;
  cost_usd: number | null;
}

/** Equality filters for exampleIds; each is optional and they combine with AND. */
export interface RecordCondition {
  status?: string;
  finish_reason?: string;
  error_type?: string;
  model?: string;
  feature?: string;
  user_id?: string;
  session_id?: string;
  request_hash?: string;
  prefix_hash?: string;
  service_tier?: string;
  stream?: boolean;
  /** true: only rows with no effective cost; false: only priced rows. */
  unpriced?: boolean;
}

export type { CorpusDescription, CorpusSummary } from "../protocol/rest.ts";



export interface WindowOption {
  /** Seconds between two calls for the later one to count; defaults: prefix 300, duplicates 3600, retries 60, truncation 3600. */
  windowSeconds?: number;
}

/** The read side of the usage store and corpus deletion, identical on every engine. */
export interface UsageQueries {
  count(scope: Scope): Promise<number>;
  listCorpora(owner: string): Promise<CorpusSummary[]>;
  deleteCorpus(owner: string, corpus: string): Promise<number>;
  /** Deletes the corpus's records timed before `before` (retention); the number deleted. */
  deleteRecordsBefore(owner: string, corpus: string, before: Date): Promise<number>;
  /** Every owner's corpora, for housekeeping across accounts (never for a user-facing answer). */
  allCorpora(): Promise<{ owner: string; corpus: string }[]>;
  /** Null when the owner has no record in that corpus. */
  describeCorpus(owner: string, corpus: string): Promise<CorpusDescription | null>;
  /** Moves the corpus's records to `name`; the number moved. The caller refuses a name already in use. */
  renameCorpus(owner: string, corpus: string, name: string): Promise<number>;
  /** The corpus's records as canonical records (ordered by id), read page by page. */
  exportCorpus(owner: string, corpus: string): AsyncIterable<UsageRecord>;
  totals(scope: Scope): Promise<UsageTotals>;
  unpricedModels(scope: Scope): Promise<UnpricedModel[]>;
  breakdown(scope: Scope, dimension: BreakdownDimension): Promise<UsageBreakdownRow[]>;
  percentiles(scope: Scope, by: PercentileDimension): Promise<TokenPercentiles[]>;
  prefixReuse(scope: Scope, options?: WindowOption & { minPrefixTokens?: number }): Promise<PrefixReuseRow[]>;
  duplicateRequests(scope: Scope, options?: WindowOption): Promise<DuplicateRequestRow[]>;
  failedBilledCalls(scope: Scope): Promise<FailedBilledRow[]>;
  retriesAfterError(scope: Scope, options?: WindowOption): Promise<RetryAfterErrorRow[]>;
  truncationRetries(scope: Scope, options?: WindowOption): Promise<TruncationRow[]>;
  sessionGrowth(scope: Scope, options?: { minTurns?: number; limit?: number }): Promise<SessionGrowthRow[]>;
  exampleIds(scope: Scope, condition: RecordCondition, limit?: number): Promise<string[]>;
  featureModels(scope: Scope): Promise<FeatureModelRow[]>;
  tierUsage(scope: Scope): Promise<TierUsageRow[]>;
  prefixCaching(scope: Scope, options?: WindowOption & { minPrefixTokens?: number }): Promise<PrefixCachingRow[]>;
  sessionContext(scope: Scope, options?: { minTurns?: number }): Promise<SessionContextRow[]>;
  failedAttempts(scope: Scope, options?: WindowOption): Promise<FailedAttemptRow[]>;
  /** Single calls with more than `minInputTokens` input tokens, per (feature, model). */
  longInputCalls(scope: Scope, minInputTokens: number): Promise<LongInputRow[]>;
}

/** The usage store of one process: queries are scoped by owner, writes are idempotent on (owner, id). */
export interface UsageStore extends UsageQueries {
  readonly engine: UsageEngine;
  insert(owner: string, corpus: string, records: readonly PricedUsageRecord[]): Promise<InsertResult>;
  close(): Promise<void>;
}
