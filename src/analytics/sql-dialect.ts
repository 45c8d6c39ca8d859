// The SQL pieces that differ between DuckDB and PostgreSQL. Every query is written once in usage-queries.ts and asks
// the dialect for these fragments; nothing else in the usage store may branch on the engine.

export type UsageEngine = "duckdb" | "postgres";

/** Percentiles the analyses ask for; fixed here so the SQL never carries a caller-supplied literal. */
export const PERCENTILES = [0.5, 0.9, 0.99] as const;
type Percentile = (typeof PERCENTILES)[number];

export interface SqlDialect {
  readonly engine: UsageEngine;
  /** Seconds since the Unix epoch, as a double, of a TIMESTAMPTZ expression. */
  epochSeconds(expr: string): string;
  /** Continuous percentile (linear interpolation between the two nearest values, nulls ignored) of a numeric expression. */
  percentile(p: Percentile, expr: string): string;
  /** The UTC calendar day of a TIMESTAMPTZ expression as text `YYYY-MM-DD`. */
  utcDay(expr: string): string;
  /** The UTC hour of day of a TIMESTAMPTZ expression as text `00`..`23`. */
  utcHour(expr: string): string;
  /** A text expression ordered by code point, so ties sort the same whatever the database collation is. */
  byteOrder(expr: string): string;
  /** Indexes created after the table; DDL text with no parameters. */
  readonly indexes: readonly string[];
}

export const duckdbDialect: SqlDialect = {
  engine: "duckdb",
  epochSeconds: (expr) => `epoch(${expr})`,
  percentile: (p, expr) => `quantile_cont(CAST(${expr} AS FLOAT8), ${p})`,
  utcDay: (expr) => `strftime(${expr} AT TIME ZONE 'UTC', '%Y-%m-%d')`,
  utcHour: (expr) => `strftime(${expr} AT TIME ZONE 'UTC', '%H')`,
  // DuckDB compares VARCHAR by bytes already, which for UTF-8 is code point order.
  byteOrder: (expr) => expr,
  // An ART index slows every append and DuckDB's zone maps already prune scans by owner, corpus and time.
  indexes: [],
};

export const postgresDialect: SqlDialect = {
  engine: "postgres",
  epochSeconds: (expr) => `CAST(extract(epoch FROM ${expr}) AS FLOAT8)`,
  percentile: (p, expr) => `percentile_cont(${p}) WITHIN GROUP (ORDER BY CAST(${expr} AS FLOAT8))`,
  utcDay: (expr) => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  utcHour: (expr) => `to_char(${expr} AT TIME ZONE 'UTC', 'HH24')`,
  byteOrder: (expr) => `(${expr}) COLLATE "C"`,
  indexes: ["CREATE INDEX IF NOT EXISTS usage_records_scope_idx ON usage_records (owner, corpus, ts)"],
};
