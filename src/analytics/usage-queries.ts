import type { PricedUsageRecord } from "./record.ts";
import { PERCENTILES } from "./sql-dialect.ts";
import type { DuplicateRequestRow, FailedBilledRow, RetryAfterErrorRow, TruncationRow, UsageBreakdownRow, UsageQueries } from "./store.ts";
import { BREAKDOWN_DIMENSIONS } from "./store.ts";
import { analysisQueries } from "./analysis-queries.ts";
import { corpusQueries } from "./corpus-queries.ts";
import type { SqlRow, SqlRunner, SqlValue } from "./query-parts.ts";
import {
  COST,
  SINGLE_CALL,
  MAX_EXAMPLES,
  Params,
  invalid,
  scopeFilter,
  examples,
  callOrder,
  num,
  numOrNull,
  text,
  iso,
  ids,
  byCodePoint,
  costDescThenKey,
  PREFIX_WINDOW_SECONDS,
  DUPLICATE_WINDOW_SECONDS,
  RETRY_WINDOW_SECONDS,
  TRUNCATION_RETRY_WINDOW_SECONDS,
  nonNegative,
  requireOwner,
  CONDITION_COLUMNS,
  tokenSums,
  costSums,
} from "./query-parts.ts";

export type { SqlRunner, SqlValue } from "./query-parts.ts";

// The usage table and every query over it, each written once. Engines only supply a SqlRunner; the dialect supplies the
// few fragments that differ. Costs are rounded to 1e-9 USD and sorted after rounding so both engines answer identically.
// The queries the savings analyses add live in analysis-queries.ts; the shared pieces in query-parts.ts.

/** Columns of `usage_records` in insert order: the canonical fields (`timestamp` is `ts`), then owner, corpus, prices. */
export const USAGE_COLUMNS = [
  ["owner", "TEXT NOT NULL"],
  ["corpus", "TEXT NOT NULL"],
  ["id", "TEXT NOT NULL"],
  ["ts", "TIMESTAMPTZ NOT NULL"],
  ["model", "TEXT NOT NULL"],
  ["provider", "TEXT"],
  ["input_tokens", "BIGINT NOT NULL"],
  ["output_tokens", "BIGINT NOT NULL"],
  ["cache_read_tokens", "BIGINT"],
  ["cache_write_tokens", "BIGINT"],
  ["reasoning_tokens", "BIGINT"],
  ["cost_usd", "FLOAT8"],
  ["duration_ms", "FLOAT8"],
  ["ttft_ms", "FLOAT8"],
  ["status", "TEXT NOT NULL"],
  ["error_type", "TEXT"],
  ["finish_reason", "TEXT"],
  ["max_tokens", "BIGINT"],
  ["temperature", "FLOAT8"],
  ["stream", "BOOLEAN"],
  ["service_tier", "TEXT"],
  ["operation", "TEXT"],
  ["user_id", "TEXT"],
  ["session_id", "TEXT"],
  ["trace_id", "TEXT"],
  ["feature", "TEXT"],
  ["environment", "TEXT"],
  ["project", "TEXT"],
  ["api_key_id", "TEXT"],
  ["tags", "TEXT[]"],
  ["request_hash", "TEXT"],
  ["prefix_hash", "TEXT"],
  ["prefix_tokens", "BIGINT"],
  ["num_requests", "BIGINT NOT NULL"],
  ["computed_cost_usd", "FLOAT8"],
  ["cost_mismatch", "BOOLEAN NOT NULL"],
] as const;

export const USAGE_TABLE_DDL = `CREATE TABLE IF NOT EXISTS usage_records (${USAGE_COLUMNS.map(([n, t]) => `${n} ${t}`).join(", ")}, PRIMARY KEY (owner, id))`;

/** One record as the values of USAGE_COLUMNS, in order; `ts` stays ISO text and each engine casts it. */
export function usageRow(owner: string, corpus: string, r: PricedUsageRecord): SqlValue[] {
  return [
    owner, corpus, r.id, r.timestamp, r.model, r.provider ?? null, r.input_tokens, r.output_tokens,
    r.cache_read_tokens ?? null, r.cache_write_tokens ?? null, r.reasoning_tokens ?? null, r.cost_usd ?? null,
    r.duration_ms ?? null, r.ttft_ms ?? null, r.status, r.error_type ?? null, r.finish_reason ?? null,
    r.max_tokens ?? null, r.temperature ?? null, r.stream ?? null, r.service_tier ?? null, r.operation ?? null,
    r.user_id ?? null, r.session_id ?? null, r.trace_id ?? null, r.feature ?? null, r.environment ?? null,
    r.project ?? null, r.api_key_id ?? null, r.tags ?? null, r.request_hash ?? null, r.prefix_hash ?? null,
    r.prefix_tokens ?? null, r.num_requests, r.computed_cost_usd, r.cost_mismatch,
  ];
}

/** Binds every query (of this file and analysis-queries.ts) to one engine. */
export function usageQueries(db: SqlRunner): UsageQueries {
  const d = db.dialect;
  const epoch = d.epochSeconds("ts");

  const queries: Omit<UsageQueries, "describeCorpus" | "renameCorpus" | "exportCorpus"> = {
    ...analysisQueries(db),
    async count(scope) {
      const p = new Params();
      const rows = await db.all(`SELECT count(*) AS n FROM usage_records WHERE ${scopeFilter(scope, p)}`, p.values, scope.signal);
      return num(rows[0]?.n);
    },

    async listCorpora(owner) {
      requireOwner(owner);
      const rows = await db.all(
        `SELECT corpus, count(*) AS records, sum(num_requests) AS calls, sum(${COST}) AS cost_usd,
           min(ts) AS first_ts, max(ts) AS last_ts
         FROM usage_records WHERE owner = $1 GROUP BY corpus ORDER BY ${d.byteOrder("corpus")}`,
        [owner],
      );
      return rows.map((r) => ({
        corpus: String(r.corpus), records: num(r.records), calls: num(r.calls), cost_usd: numOrNull(r.cost_usd),
        from: iso(r.first_ts), to: iso(r.last_ts),
      }));
    },

    async deleteCorpus(owner, corpus) {
      requireOwner(owner);
      return db.run("DELETE FROM usage_records WHERE owner = $1 AND corpus = $2", [owner, corpus]);
    },

    async deleteRecordsBefore(owner, corpus, before) {
      requireOwner(owner);
      return db.run("DELETE FROM usage_records WHERE owner = $1 AND corpus = $2 AND ts < CAST($3 AS TIMESTAMPTZ)", [owner, corpus, before.toISOString()]);
    },

    async allCorpora() {
      const rows = await db.all("SELECT DISTINCT owner, corpus FROM usage_records", []);
      return rows.map((r) => ({ owner: String(r.owner), corpus: String(r.corpus) }));
    },

    async totals(scope) {
      const p = new Params();
      const rows = await db.all(
        `SELECT count(*) AS records, coalesce(sum(num_requests), 0) AS calls, ${costSums}, ${tokenSums},
           coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens, coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens,
           min(ts) AS first_ts, max(ts) AS last_ts, max(${epoch}) - min(${epoch}) AS span_seconds
         FROM usage_records WHERE ${scopeFilter(scope, p)}`,
        p.values,
        scope.signal,
      );
      const r = rows[0] ?? {};
      return {
        records: num(r.records), calls: num(r.calls), cost_usd: numOrNull(r.cost_usd), unpriced_calls: num(r.unpriced_calls),
        input_tokens: num(r.input_tokens), output_tokens: num(r.output_tokens), cache_read_tokens: num(r.cache_read_tokens),
        cache_write_tokens: num(r.cache_write_tokens), reasoning_tokens: num(r.reasoning_tokens),
        period: { from: iso(r.first_ts), to: iso(r.last_ts), days: numOrNull(num(r.span_seconds) / 86_400) ?? 0 },
      };
    },

    async unpricedModels(scope) {
      const p = new Params();
      const rows = await db.all(
        `SELECT model, sum(num_requests) AS calls, count(*) AS records FROM usage_records
         WHERE ${scopeFilter(scope, p)} AND ${COST} IS NULL
         GROUP BY model ORDER BY calls DESC, ${d.byteOrder("model")}`,
        p.values,
        scope.signal,
      );
      return rows.map((r) => ({ model: String(r.model), calls: num(r.calls), records: num(r.records) }));
    },

    async breakdown(scope, dimension) {
      if (!BREAKDOWN_DIMENSIONS.includes(dimension)) {
        throw invalid(`Unknown breakdown "${String(dimension)}"; use one of ${BREAKDOWN_DIMENSIONS.join(", ")}.`);
      }
      const byTime = dimension === "day" || dimension === "hour_of_day";
      const key = dimension === "day" ? d.utcDay("ts") : dimension === "hour_of_day" ? d.utcHour("ts") : dimension;
      const p = new Params();
      const rows = await db.all(
        `SELECT ${key} AS key, count(*) AS records, sum(num_requests) AS calls, ${costSums}, ${tokenSums}
         FROM usage_records WHERE ${scopeFilter(scope, p)} GROUP BY 1`,
        p.values,
        scope.signal,
      );
      const out: UsageBreakdownRow[] = rows.map((r) => ({
        key: text(r.key), records: num(r.records), calls: num(r.calls), cost_usd: numOrNull(r.cost_usd),
        unpriced_calls: num(r.unpriced_calls), input_tokens: num(r.input_tokens), output_tokens: num(r.output_tokens),
        cache_read_tokens: num(r.cache_read_tokens),
      }));
      return out.sort(
        byTime ? (a, b) => byCodePoint(a.key, b.key) : costDescThenKey((r) => r.cost_usd, (r) => r.key),
      );
    },

    async percentiles(scope, by) {
      if (by !== "model" && by !== "feature") throw invalid(`Percentiles are per "model" or "feature", not "${String(by)}".`);
      const p = new Params();
      const cols = (["input_tokens", "output_tokens", "duration_ms"] as const).flatMap((c) =>
        PERCENTILES.map((q) => `${d.percentile(q, c)} AS ${c}_p${Math.round(q * 100)}`),
      );
      const rows = await db.all(
        `SELECT ${by} AS key, count(*) AS calls, count(duration_ms) AS timed, ${cols.join(", ")}
         FROM usage_records WHERE ${scopeFilter(scope, p)} AND ${SINGLE_CALL}
         GROUP BY 1 ORDER BY ${d.byteOrder(by)} NULLS LAST`,
        p.values,
        scope.signal,
      );
      const triple = (r: SqlRow, c: string) => ({
        p50: numOrNull(r[`${c}_p50`]) ?? 0, p90: numOrNull(r[`${c}_p90`]) ?? 0, p99: numOrNull(r[`${c}_p99`]) ?? 0,
      });
      return rows.map((r) => ({
        key: text(r.key), calls: num(r.calls), input_tokens: triple(r, "input_tokens"),
        output_tokens: triple(r, "output_tokens"), duration_ms: num(r.timed) > 0 ? triple(r, "duration_ms") : null,
      }));
    },

    async prefixReuse(scope, options = {}) {
      const p = new Params();
      const where = scopeFilter(scope, p);
      const window = p.add(nonNegative("windowSeconds", options.windowSeconds, PREFIX_WINDOW_SECONDS));
      // Counts compare as integers on PostgreSQL: a fractional minimum rounds up.
      const minTokens = p.add(Math.ceil(nonNegative("minPrefixTokens", options.minPrefixTokens, 0)));
      const rows = await db.all(
        `WITH calls AS (
           SELECT id, ts, model, provider, prefix_hash, prefix_tokens, cache_read_tokens,
             ${epoch} - lag(${epoch}) OVER (PARTITION BY prefix_hash, model ${callOrder(d)}) AS gap
           FROM usage_records WHERE ${where} AND prefix_hash IS NOT NULL AND ${SINGLE_CALL}
         ), flagged AS (SELECT *, coalesce(gap <= ${window}, false) AS hit FROM calls)
         SELECT prefix_hash, model, min(provider) AS provider, count(*) AS calls,
           coalesce(max(prefix_tokens), 0) AS prefix_tokens, sum(CASE WHEN hit THEN 1 ELSE 0 END) AS hits,
           coalesce(sum(CASE WHEN hit THEN prefix_tokens END), 0) AS hit_prefix_tokens,
           coalesce(sum(CASE WHEN hit THEN cache_read_tokens END), 0) AS hit_cache_read_tokens,
           ${examples(d, "hit")} AS example_ids
         FROM flagged GROUP BY prefix_hash, model
         HAVING sum(CASE WHEN hit THEN 1 ELSE 0 END) > 0 AND coalesce(max(prefix_tokens), 0) >= ${minTokens}
         ORDER BY hit_prefix_tokens DESC, ${d.byteOrder("prefix_hash")}, ${d.byteOrder("model")}`,
        p.values,
        scope.signal,
      );
      return rows.map((r) => ({
        prefix_hash: String(r.prefix_hash), model: String(r.model), provider: text(r.provider), calls: num(r.calls),
        prefix_tokens: num(r.prefix_tokens), hits: num(r.hits), hit_prefix_tokens: num(r.hit_prefix_tokens),
        hit_cache_read_tokens: num(r.hit_cache_read_tokens), example_ids: ids(r.example_ids),
      }));
    },

    async duplicateRequests(scope, options = {}) {
      const p = new Params();
      const where = scopeFilter(scope, p);
      const window = p.add(nonNegative("windowSeconds", options.windowSeconds, DUPLICATE_WINDOW_SECONDS));
      // A failed or truncated answer is not cacheable, so only a complete earlier answer makes a later call a repeat.
      const rows = await db.all(
        `WITH calls AS (
           SELECT id, ts, model, feature, request_hash, ${COST} AS cost, ${epoch} AS t,
             max(CASE WHEN status <> 'error' AND coalesce(finish_reason, '') <> 'length' THEN ${epoch} END)
               OVER (PARTITION BY request_hash ${callOrder(d)} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_ok
           FROM usage_records
           WHERE ${where} AND request_hash IS NOT NULL AND coalesce(temperature, 0) = 0 AND ${SINGLE_CALL}
         ), flagged AS (SELECT *, coalesce(t - last_ok <= ${window}, false) AS rep FROM calls)
         SELECT request_hash, min(model) AS model, min(feature) AS feature, count(*) AS calls,
           sum(CASE WHEN rep THEN 1 ELSE 0 END) AS repeats, sum(CASE WHEN rep THEN cost END) AS repeat_cost_usd,
           sum(CASE WHEN rep AND cost IS NULL THEN 1 ELSE 0 END) AS unpriced_repeats, avg(cost) AS mean_cost_usd,
           ${examples(d, "rep")} AS example_ids
         FROM flagged GROUP BY request_hash HAVING sum(CASE WHEN rep THEN 1 ELSE 0 END) > 0`,
        p.values,
        scope.signal,
      );
      const out: DuplicateRequestRow[] = rows.map((r) => ({
        request_hash: String(r.request_hash), model: String(r.model), feature: text(r.feature), calls: num(r.calls),
        repeats: num(r.repeats), repeat_cost_usd: numOrNull(r.repeat_cost_usd), unpriced_repeats: num(r.unpriced_repeats),
        mean_cost_usd: numOrNull(r.mean_cost_usd), example_ids: ids(r.example_ids),
      }));
      return out.sort(costDescThenKey((r) => r.repeat_cost_usd, (r) => r.request_hash));
    },

    async failedBilledCalls(scope) {
      const p = new Params();
      const rows = await db.all(
        `SELECT model, error_type, sum(num_requests) AS calls, ${costSums}, ${tokenSums}, ${examples(d, "true")} AS example_ids
         FROM usage_records
         WHERE ${scopeFilter(scope, p)} AND status = 'error' AND (input_tokens > 0 OR output_tokens > 0)
         GROUP BY model, error_type`,
        p.values,
        scope.signal,
      );
      const out: FailedBilledRow[] = rows.map((r) => ({
        model: String(r.model), error_type: text(r.error_type), calls: num(r.calls), input_tokens: num(r.input_tokens),
        output_tokens: num(r.output_tokens), cost_usd: numOrNull(r.cost_usd), unpriced_calls: num(r.unpriced_calls),
        example_ids: ids(r.example_ids),
      }));
      return out.sort(costDescThenKey((r) => r.cost_usd, (r) => `${r.model}\u0000${r.error_type ?? ""}`));
    },

    async retriesAfterError(scope, options = {}) {
      const p = new Params();
      const where = scopeFilter(scope, p);
      const window = p.add(nonNegative("windowSeconds", options.windowSeconds, RETRY_WINDOW_SECONDS));
      const rows = await db.all(
        `WITH calls AS (
           SELECT id, ts, model, feature, status, ${COST} AS cost,
             lead(${epoch}) OVER (PARTITION BY request_hash ${callOrder(d)}) - ${epoch} AS next_gap
           FROM usage_records WHERE ${where} AND request_hash IS NOT NULL AND ${SINGLE_CALL}
         ), wasted AS (SELECT * FROM calls WHERE status = 'error' AND next_gap <= ${window})
         SELECT model, feature, count(*) AS retried_errors, sum(cost) AS wasted_cost_usd,
           sum(CASE WHEN cost IS NULL THEN 1 ELSE 0 END) AS unpriced_attempts, ${examples(d, "true")} AS example_ids
         FROM wasted GROUP BY model, feature`,
        p.values,
        scope.signal,
      );
      const out: RetryAfterErrorRow[] = rows.map((r) => ({
        model: String(r.model), feature: text(r.feature), retried_errors: num(r.retried_errors),
        wasted_cost_usd: numOrNull(r.wasted_cost_usd), unpriced_attempts: num(r.unpriced_attempts),
        example_ids: ids(r.example_ids),
      }));
      return out.sort(costDescThenKey((r) => r.wasted_cost_usd, (r) => `${r.model}\u0000${r.feature ?? ""}`));
    },

    async truncationRetries(scope, options = {}) {
      const p = new Params();
      const where = scopeFilter(scope, p);
      const window = p.add(nonNegative("windowSeconds", options.windowSeconds, TRUNCATION_RETRY_WINDOW_SECONDS));
      // Calls without a request_hash are counted as truncated but cannot be matched to a re-send.
      const rows = await db.all(
        `WITH calls AS (
           SELECT id, ts, model, feature, finish_reason, max_tokens, output_tokens, ${COST} AS cost,
             CASE WHEN request_hash IS NOT NULL
               THEN lead(${epoch}) OVER (PARTITION BY request_hash ${callOrder(d)}) - ${epoch} END AS next_gap
           FROM usage_records WHERE ${where} AND ${SINGLE_CALL}
         ), truncated AS (
           SELECT *, coalesce(next_gap <= ${window}, false) AS retried FROM calls WHERE finish_reason = 'length'
         )
         SELECT model, feature, count(*) AS truncated_calls, sum(CASE WHEN retried THEN 1 ELSE 0 END) AS retried_calls,
           sum(CASE WHEN retried THEN cost END) AS retried_cost_usd,
           coalesce(sum(CASE WHEN retried THEN output_tokens END), 0) AS retried_output_tokens,
           max(max_tokens) AS max_tokens, ${examples(d, "retried")} AS example_ids
         FROM truncated GROUP BY model, feature`,
        p.values,
        scope.signal,
      );
      const out: TruncationRow[] = rows.map((r) => ({
        model: String(r.model), feature: text(r.feature), truncated_calls: num(r.truncated_calls),
        retried_calls: num(r.retried_calls), retried_cost_usd: numOrNull(r.retried_cost_usd),
        retried_output_tokens: num(r.retried_output_tokens), max_tokens: numOrNull(r.max_tokens),
        example_ids: ids(r.example_ids),
      }));
      return out.sort(costDescThenKey((r) => r.retried_cost_usd, (r) => `${r.model}\u0000${r.feature ?? ""}`));
    },

    async sessionGrowth(scope, options = {}) {
      const p = new Params();
      const where = scopeFilter(scope, p);
      const minTurns = p.add(Math.ceil(nonNegative("minTurns", options.minTurns, 2)));
      const limit = p.add(Math.floor(nonNegative("limit", options.limit, 100)));
      // Least-squares slope from exact integer sums, so both engines divide the same two numbers.
      const rows = await db.all(
        `WITH turns AS (
           SELECT session_id, model, feature, user_id, input_tokens, ${COST} AS cost,
             row_number() OVER (PARTITION BY session_id ${callOrder(d)}) AS turn,
             count(*) OVER (PARTITION BY session_id) AS n
           FROM usage_records WHERE ${where} AND session_id IS NOT NULL AND ${SINGLE_CALL}
         )
         SELECT session_id, min(model) AS model, min(feature) AS feature, min(user_id) AS user_id, count(*) AS turns,
           max(CASE WHEN turn = 1 THEN input_tokens END) AS first_input_tokens,
           max(CASE WHEN turn = n THEN input_tokens END) AS last_input_tokens,
           max(input_tokens) AS max_input_tokens, sum(input_tokens) AS total_input_tokens,
           CAST(count(*) * sum(turn * input_tokens) - sum(turn) * sum(input_tokens) AS FLOAT8)
             / NULLIF(CAST(count(*) * sum(turn * turn) - sum(turn) * sum(turn) AS FLOAT8), 0) AS slope,
           sum(cost) AS cost_usd
         FROM turns GROUP BY session_id HAVING count(*) >= ${minTurns}
         ORDER BY total_input_tokens DESC, ${d.byteOrder("session_id")} LIMIT ${limit}`,
        p.values,
        scope.signal,
      );
      return rows.map((r) => {
        const first = num(r.first_input_tokens);
        const last = num(r.last_input_tokens);
        return {
          session_id: String(r.session_id), model: String(r.model), feature: text(r.feature), user_id: text(r.user_id),
          turns: num(r.turns), first_input_tokens: first, last_input_tokens: last, max_input_tokens: num(r.max_input_tokens),
          total_input_tokens: num(r.total_input_tokens), slope_tokens_per_turn: numOrNull(r.slope),
          growth_ratio: first > 0 ? numOrNull(last / first) : null, cost_usd: numOrNull(r.cost_usd),
        };
      });
    },

    async exampleIds(scope, condition, limit = MAX_EXAMPLES) {
      const p = new Params();
      const clauses = [scopeFilter(scope, p)];
      for (const column of CONDITION_COLUMNS) {
        const value = condition[column];
        if (value !== undefined) clauses.push(`${column} = ${p.add(value)}`);
      }
      if (condition.unpriced !== undefined) clauses.push(`${COST} IS ${condition.unpriced ? "" : "NOT "}NULL`);
      const rows = await db.all(
        `SELECT id FROM usage_records WHERE ${clauses.join(" AND ")}
         ORDER BY ${COST} DESC NULLS LAST, ts, ${d.byteOrder("id")} LIMIT ${p.add(Math.floor(nonNegative("limit", limit, MAX_EXAMPLES)))}`,
        p.values,
        scope.signal,
      );
      return rows.map((r) => String(r.id));
    },
  };
  return { ...queries, ...corpusQueries(db, queries, USAGE_COLUMNS) };
}
