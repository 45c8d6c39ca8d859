import type {
  FailedAttemptRow,
  FeatureModelRow,
  LongInputRow,
  PrefixCachingRow,
  TierUsageRow,
  UsageQueries,
} from "./store.ts";
import { PERCENTILES } from "./sql-dialect.ts";
import type { SqlRunner } from "./query-parts.ts";
import {
  COST,
  SINGLE_CALL,
  Params,
  scopeFilter,
  examples,
  callOrder,
  num,
  numOrNull,
  text,
  ids,
  byCodePoint,
  costDescThenKey,
  PREFIX_WINDOW_SECONDS,
  RETRY_WINDOW_SECONDS,
  nonNegative,
  tokenSums,
  costSums,
  cacheWriteSum,
  TOOL_FINISH,
  featureModelKey,
} from "./query-parts.ts";

// The queries the savings analyses read beyond the basic ones: per (feature, model) sizes and tools, traffic by tier
// and hour, prefix caching, session growth, billed failures and long inputs. Same rules as usage-queries.ts: written
// once for both engines, costs rounded to 1e-9 and sorted after rounding.

type AnalysisQueries = Pick<
  UsageQueries,
  "featureModels" | "tierUsage" | "prefixCaching" | "sessionContext" | "failedAttempts" | "longInputCalls"
>;

/** Binds the analysis queries to one engine. */
export function analysisQueries(db: SqlRunner): AnalysisQueries {
  const d = db.dialect;
  const epoch = d.epochSeconds("ts");

  return {
    async featureModels(scope) {
      const p = new Params();
      const single = (c: string) => `CASE WHEN ${SINGLE_CALL} THEN ${c} END`;
      const rows = await db.all(
        `SELECT feature, model, min(${d.byteOrder("provider")}) AS provider, count(*) AS records, sum(num_requests) AS calls,
           ${costSums}, ${tokenSums}, ${cacheWriteSum},
           ${PERCENTILES.map((q) => `${d.percentile(q, single("output_tokens"))} AS output_p${Math.round(q * 100)}`).join(", ")},
           coalesce(sum(CASE WHEN ${TOOL_FINISH} THEN num_requests ELSE 0 END), 0) AS tool_calls,
           ${examples(d, "true")} AS example_ids
         FROM usage_records WHERE ${scopeFilter(scope, p)} GROUP BY feature, model`,
        p.values,
        scope.signal,
      );
      const out: FeatureModelRow[] = rows.map((r) => ({
        feature: text(r.feature), model: String(r.model), provider: text(r.provider), records: num(r.records),
        calls: num(r.calls), cost_usd: numOrNull(r.cost_usd), unpriced_calls: num(r.unpriced_calls),
        input_tokens: num(r.input_tokens), output_tokens: num(r.output_tokens), cache_read_tokens: num(r.cache_read_tokens),
        cache_write_tokens: num(r.cache_write_tokens), output_p50: numOrNull(r.output_p50) ?? 0,
        output_p90: numOrNull(r.output_p90) ?? 0, output_p99: numOrNull(r.output_p99) ?? 0, tool_calls: num(r.tool_calls),
        example_ids: ids(r.example_ids),
      }));
      return out.sort(costDescThenKey<(typeof out)[number]>((r) => r.cost_usd, featureModelKey));
    },

    async tierUsage(scope) {
      const p = new Params();
      const rows = await db.all(
        `SELECT feature, model, min(${d.byteOrder("provider")}) AS provider, service_tier, stream,
           user_id IS NOT NULL AS has_user, ${d.utcHour("ts")} AS hour, sum(num_requests) AS calls, ${costSums},
           ${tokenSums}, ${cacheWriteSum}, ${examples(d, "true")} AS example_ids
         FROM usage_records WHERE ${scopeFilter(scope, p)} GROUP BY 1, 2, 4, 5, 6, 7`,
        p.values,
        scope.signal,
      );
      const out: TierUsageRow[] = rows.map((r) => ({
        feature: text(r.feature), model: String(r.model), provider: text(r.provider), service_tier: text(r.service_tier),
        stream: r.stream === null || r.stream === undefined ? null : Boolean(r.stream), has_user: Boolean(r.has_user),
        hour: String(r.hour), calls: num(r.calls), cost_usd: numOrNull(r.cost_usd), unpriced_calls: num(r.unpriced_calls),
        input_tokens: num(r.input_tokens), output_tokens: num(r.output_tokens), cache_read_tokens: num(r.cache_read_tokens),
        cache_write_tokens: num(r.cache_write_tokens), example_ids: ids(r.example_ids),
      }));
      const key = (r: TierUsageRow) =>
        [featureModelKey(r), r.service_tier ?? "\uffff", String(r.stream), String(r.has_user), r.hour].join("\u0000");
      return out.sort((a, b) => byCodePoint(key(a), key(b)));
    },

    async prefixCaching(scope, options = {}) {
      const p = new Params();
      const where = scopeFilter(scope, p);
      const window = p.add(nonNegative("windowSeconds", options.windowSeconds, PREFIX_WINDOW_SECONDS));
      const minTokens = p.add(Math.ceil(nonNegative("minPrefixTokens", options.minPrefixTokens, 0)));
      // The cache is warm when any call (cached or not) sent the prefix to the model within the window.
      const rows = await db.all(
        `WITH calls AS (
           SELECT id, ts, feature, model, provider, prefix_hash, prefix_tokens,
             coalesce(cache_read_tokens, 0) = 0 AND coalesce(cache_write_tokens, 0) = 0 AS uncached,
             ${epoch} - lag(${epoch}) OVER (PARTITION BY prefix_hash, model ${callOrder(d)}) AS gap
           FROM usage_records WHERE ${where} AND prefix_hash IS NOT NULL AND ${SINGLE_CALL}
         ), flagged AS (SELECT *, uncached AND coalesce(gap <= ${window}, false) AS hit FROM calls)
         SELECT feature, prefix_hash, model, min(${d.byteOrder("provider")}) AS provider,
           coalesce(max(prefix_tokens), 0) AS prefix_tokens, count(*) AS calls,
           sum(CASE WHEN uncached THEN 1 ELSE 0 END) AS uncached_calls, sum(CASE WHEN hit THEN 1 ELSE 0 END) AS uncached_hits,
           coalesce(sum(CASE WHEN hit THEN prefix_tokens END), 0) AS hit_tokens,
           coalesce(sum(CASE WHEN uncached AND NOT hit THEN prefix_tokens END), 0) AS miss_tokens,
           ${examples(d, "hit")} AS example_ids
         FROM flagged GROUP BY feature, prefix_hash, model
         HAVING sum(CASE WHEN uncached THEN 1 ELSE 0 END) > 0 AND coalesce(max(prefix_tokens), 0) >= ${minTokens}`,
        p.values,
        scope.signal,
      );
      const out: PrefixCachingRow[] = rows.map((r) => ({
        feature: text(r.feature), prefix_hash: String(r.prefix_hash), model: String(r.model), provider: text(r.provider),
        prefix_tokens: num(r.prefix_tokens), calls: num(r.calls), uncached_calls: num(r.uncached_calls),
        uncached_hits: num(r.uncached_hits), uncached_hit_prefix_tokens: num(r.hit_tokens),
        uncached_miss_prefix_tokens: num(r.miss_tokens), example_ids: ids(r.example_ids),
      }));
      const key = (r: PrefixCachingRow) => `${featureModelKey(r)}\u0000${r.prefix_hash}`;
      return out.sort((a, b) => b.uncached_hit_prefix_tokens - a.uncached_hit_prefix_tokens || byCodePoint(key(a), key(b)));
    },

    async sessionContext(scope, options = {}) {
      const p = new Params();
      const where = scopeFilter(scope, p);
      const minTurns = p.add(Math.ceil(nonNegative("minTurns", options.minTurns, 2)));
      const later = (c: string) => `coalesce(sum(CASE WHEN turn > 1 THEN ${c} END), 0)`;
      const rows = await db.all(
        `WITH turns AS (
           SELECT id, ts, session_id, feature, model, provider, input_tokens, output_tokens, cache_read_tokens,
             cache_write_tokens, ${COST} AS cost, row_number() OVER (PARTITION BY session_id ${callOrder(d)}) AS turn,
             count(*) OVER (PARTITION BY session_id) AS n,
             lag(input_tokens) OVER (PARTITION BY session_id ${callOrder(d)}) AS previous_input,
             lag(output_tokens) OVER (PARTITION BY session_id ${callOrder(d)}) AS previous_output
           FROM usage_records WHERE ${where} AND session_id IS NOT NULL AND ${SINGLE_CALL}
         )
         SELECT session_id, min(${d.byteOrder("feature")}) AS feature, min(${d.byteOrder("model")}) AS model,
           min(${d.byteOrder("provider")}) AS provider, count(*) AS turns,
           max(CASE WHEN turn = 1 THEN input_tokens END) AS first_input_tokens,
           max(CASE WHEN turn = n THEN input_tokens END) AS last_input_tokens,
           sum(CASE WHEN turn > 1 AND input_tokens > previous_input THEN 1 ELSE 0 END) AS growing_turns,
           sum(CASE WHEN turn > 1 AND input_tokens >= previous_input + previous_output THEN 1 ELSE 0 END) AS history_turns,
           ${later("input_tokens")} AS later_input_tokens, ${later("cache_read_tokens")} AS later_cache_read_tokens,
           ${later("cache_write_tokens")} AS later_cache_write_tokens,
           sum(CASE WHEN turn > 1 THEN cost END) AS later_cost_usd, ${examples(d, "turn > 1")} AS example_ids
         FROM turns GROUP BY session_id HAVING count(*) >= ${minTurns} ORDER BY ${d.byteOrder("session_id")}`,
        p.values,
        scope.signal,
      );
      return rows.map((r) => ({
        session_id: String(r.session_id), feature: text(r.feature), model: String(r.model), provider: text(r.provider),
        turns: num(r.turns), first_input_tokens: num(r.first_input_tokens), growing_turns: num(r.growing_turns),
        history_turns: num(r.history_turns),
        last_input_tokens: num(r.last_input_tokens), later_input_tokens: num(r.later_input_tokens),
        later_cache_read_tokens: num(r.later_cache_read_tokens), later_cache_write_tokens: num(r.later_cache_write_tokens),
        later_cost_usd: numOrNull(r.later_cost_usd), example_ids: ids(r.example_ids),
      }));
    },

    async failedAttempts(scope, options = {}) {
      const p = new Params();
      const where = scopeFilter(scope, p);
      const window = p.add(nonNegative("windowSeconds", options.windowSeconds, RETRY_WINDOW_SECONDS));
      const rows = await db.all(
        `WITH calls AS (
           SELECT id, ts, feature, model, provider, status, error_type, input_tokens, output_tokens, cache_read_tokens, ${COST} AS cost,
             CASE WHEN request_hash IS NOT NULL
               THEN lead(${epoch}) OVER (PARTITION BY request_hash ${callOrder(d)}) - ${epoch} END AS next_gap
           FROM usage_records WHERE ${where} AND ${SINGLE_CALL}
         ), failed AS (
           SELECT *, coalesce(next_gap <= ${window}, false) AS retried FROM calls
           WHERE status = 'error' AND (input_tokens > 0 OR output_tokens > 0)
         )
         SELECT feature, model, min(${d.byteOrder("provider")}) AS provider, count(*) AS failed_calls, sum(cost) AS cost_usd,
           sum(CASE WHEN cost IS NULL THEN 1 ELSE 0 END) AS unpriced_calls, ${tokenSums},
           sum(CASE WHEN retried THEN 1 ELSE 0 END) AS retried_calls, sum(CASE WHEN retried THEN cost END) AS retried_cost_usd,
           min(${d.byteOrder("error_type")}) AS error_type, ${examples(d, "true")} AS example_ids
         FROM failed GROUP BY feature, model`,
        p.values,
        scope.signal,
      );
      const out: FailedAttemptRow[] = rows.map((r) => ({
        feature: text(r.feature), model: String(r.model), provider: text(r.provider), failed_calls: num(r.failed_calls),
        cost_usd: numOrNull(r.cost_usd), unpriced_calls: num(r.unpriced_calls), input_tokens: num(r.input_tokens),
        output_tokens: num(r.output_tokens), retried_calls: num(r.retried_calls),
        retried_cost_usd: numOrNull(r.retried_cost_usd), error_type: text(r.error_type), example_ids: ids(r.example_ids),
      }));
      return out.sort(costDescThenKey<(typeof out)[number]>((r) => r.cost_usd, featureModelKey));
    },

    async longInputCalls(scope, minInputTokens) {
      const p = new Params();
      const where = scopeFilter(scope, p);
      const min = p.add(Math.floor(nonNegative("minInputTokens", minInputTokens, 0)));
      const rows = await db.all(
        `SELECT feature, model, min(${d.byteOrder("provider")}) AS provider, count(*) AS calls, ${costSums}, ${tokenSums},
           ${cacheWriteSum}, ${examples(d, "true")} AS example_ids
         FROM usage_records WHERE ${where} AND ${SINGLE_CALL} AND input_tokens > ${min} GROUP BY feature, model`,
        p.values,
        scope.signal,
      );
      const out: LongInputRow[] = rows.map((r) => ({
        feature: text(r.feature), model: String(r.model), provider: text(r.provider), calls: num(r.calls),
        input_tokens: num(r.input_tokens), output_tokens: num(r.output_tokens), cache_read_tokens: num(r.cache_read_tokens),
        cache_write_tokens: num(r.cache_write_tokens), cost_usd: numOrNull(r.cost_usd), unpriced_calls: num(r.unpriced_calls),
        example_ids: ids(r.example_ids),
      }));
      return out.sort(costDescThenKey<LongInputRow>((r) => r.cost_usd, featureModelKey));
    },
  };
}
