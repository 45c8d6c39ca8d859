// The rows of the queries the savings analyses read (analysis-queries.ts), part of the usage store's read side.

/** One (feature, model) of the scope: what rightsizing reads (sizes, tools, cost) and truncation's max_tokens advice. */
export interface FeatureModelRow {
  feature: string | null;
  model: string;
  provider: string | null;
  records: number;
  calls: number;
  cost_usd: number | null;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  /** Output percentiles over single calls (0 when the group has none). */
  output_p50: number;
  output_p90: number;
  output_p99: number;
  /** Calls that ended asking for a tool (finish_reason tool_calls / tool_use / function_call). */
  tool_calls: number;
  example_ids: string[];
}

/**
 * Calls grouped by (feature, model, service_tier, stream, has_user, UTC hour): what the tier analyses read to tell
 * latency-insensitive traffic (no end user, not streamed, off-hours) from interactive traffic.
 */
export interface TierUsageRow {
  feature: string | null;
  model: string;
  provider: string | null;
  service_tier: string | null;
  stream: boolean | null;
  /** Whether the calls carry an end user's user_id. */
  has_user: boolean;
  /** UTC hour of day, `00`..`23`. */
  hour: string;
  calls: number;
  cost_usd: number | null;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  example_ids: string[];
}

/** Calls of one (feature, prefix_hash, model) billed with no cache read and no cache write, split by a warm cache. */
export interface PrefixCachingRow {
  feature: string | null;
  prefix_hash: string;
  model: string;
  provider: string | null;
  prefix_tokens: number;
  calls: number;
  /** Calls with neither cache_read_tokens nor cache_write_tokens. */
  uncached_calls: number;
  /** Of those, calls whose previous call with the same prefix and model came within the window (cache would be warm). */
  uncached_hits: number;
  uncached_hit_prefix_tokens: number;
  /** Prefix tokens of the other uncached calls (cold cache: caching them would cost a write). */
  uncached_miss_prefix_tokens: number;
  example_ids: string[];
}

/** One session's turns 2..n against its first turn: how much history each later turn re-sends. */
export interface SessionContextRow {
  session_id: string;
  feature: string | null;
  model: string;
  provider: string | null;
  turns: number;
  first_input_tokens: number;
  /** Turns 2..n whose input is larger than the turn before. */
  growing_turns: number;
  /** Turns 2..n whose input is at least the previous turn's input plus its output: the whole history re-sent. */
  history_turns: number;
  last_input_tokens: number;
  later_input_tokens: number;
  later_cache_read_tokens: number;
  later_cache_write_tokens: number;
  later_cost_usd: number | null;
  /** The latest turns, newest first. */
  example_ids: string[];
}

/** Single calls of one (feature, model) whose input is above a size (a long-context price tier), summed. */
export interface LongInputRow {
  feature: string | null;
  model: string;
  provider: string | null;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number | null;
  unpriced_calls: number;
  example_ids: string[];
}

/** Failed calls that billed tokens, per (feature, model), and how many of them were re-sent within the window. */
export interface FailedAttemptRow {
  feature: string | null;
  model: string;
  provider: string | null;
  failed_calls: number;
  cost_usd: number | null;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
  /** Failed calls re-sent (same request_hash) within the window. */
  retried_calls: number;
  retried_cost_usd: number | null;
  /** One error type of the group (the first in code-point order). */
  error_type: string | null;
  example_ids: string[];
}
