import { z } from "zod";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { SqlDialect } from "./sql-dialect.ts";
import type { Scope } from "./store.ts";

// The pieces every usage query is built from: the engine's runner, the scope filter, parameter binding, the shared
// SQL fragments, and the conversion of engine values to plain numbers and strings (identical on both engines).

export type SqlValue = string | number | boolean | null | string[];
export type SqlRow = Record<string, unknown>;

/**
 * What an engine gives the queries: positional `$n` parameters on both engines. Aborting `signal` stops the query in
 * the database (DuckDB interrupts it, PostgreSQL cancels its backend) and rejects with the signal's reason.
 */
export interface SqlRunner {
  readonly dialect: SqlDialect;
  all(sql: string, params: readonly SqlValue[], signal?: AbortSignal): Promise<SqlRow[]>;
  /** Runs a write and returns the number of rows it changed. */
  run(sql: string, params: readonly SqlValue[]): Promise<number>;
}

/** Formats both engines cast to TIMESTAMPTZ identically (a date alone means its midnight UTC). */
const TIME_BOUND = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
/** Recomputed cost when the model is priced, else what the source reported; null = unpriced (never zero). */
export const COST = "coalesce(computed_cost_usd, cost_usd)";
/** Windowed analyses look at single calls: a pre-aggregated bucket has no per-call timing. */
export const SINGLE_CALL = "num_requests = 1";
export const MAX_EXAMPLES = 5;

export class Params {
  readonly values: SqlValue[] = [];
  add(value: SqlValue): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Why a query stopped when its signal aborted: the signal's reason when it is one of ours (a deadline), else `cancelled`. */
export function abortReason(signal: AbortSignal): ApexError {
  if (signal.reason instanceof ApexError) return signal.reason;
  return new ApexError(ErrorCode.CANCELLED, "The usage query was stopped because nobody waits for its answer any more.", { cause: signal.reason });
}

export function invalid(message: string): ApexError {
  return new ApexError(ErrorCode.INVALID_REQUEST, message);
}

/** The WHERE clause every query starts from: the owner always, then the optional corpus, time range and lists. */
export function scopeFilter(scope: Scope, p: Params): string {
  if (typeof scope.owner !== "string" || scope.owner.length === 0) {
    throw invalid("A usage query needs the owner account; pass scope.owner (the account that ingested the records).");
  }
  const clauses = [`owner = ${p.add(scope.owner)}`];
  if (scope.corpus !== undefined) clauses.push(`corpus = ${p.add(scope.corpus)}`);
  for (const [bound, op] of [[scope.from, ">="], [scope.to, "<"]] as const) {
    if (bound === undefined) continue;
    if (!TIME_BOUND.safeParse(bound).success) {
      throw invalid(`Scope time bound "${bound}" is not an ISO 8601 date or timestamp; use e.g. 2025-01-31 or 2025-01-31T00:00:00Z.`);
    }
    clauses.push(`ts ${op} CAST(${p.add(bound)} AS TIMESTAMPTZ)`);
  }
  for (const [column, values] of [["model", scope.models], ["feature", scope.features]] as const) {
    // An empty list is read as "no filter": tools pass [] when the user named none.
    if (values === undefined || values.length === 0) continue;
    clauses.push(`${column} IN (${values.map((v) => p.add(v)).join(", ")})`);
  }
  return clauses.join(" AND ");
}

/** First examples of a window aggregate, oldest first, ties broken by id in code point order. */
export function examples(d: SqlDialect, condition: string): string {
  return `(array_agg(id ORDER BY ts, ${d.byteOrder("id")}) FILTER (WHERE ${condition}))[1:${MAX_EXAMPLES}]`;
}

/** Ordering of calls inside a partition: time, then id, identical on both engines. */
export function callOrder(d: SqlDialect): string {
  return `ORDER BY ts, ${d.byteOrder("id")}`;
}

// ---- value conversion: DuckDB gives bigint, pg gives numeric/bigint as strings; callers get plain numbers.

export function num(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) throw new ApexError(ErrorCode.INTERNAL, `The usage store returned a non-numeric value: ${String(value)}`);
  return n;
}

/** A nullable measure rounded to 1e-9, the precision both engines agree on after summing doubles in any order. */
export function numOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === "number" ? value : Number(value);
  // NaN is no measure: DuckDB returns it where PostgreSQL returns NULL.
  if (Number.isNaN(n)) return null;
  return Math.round(n * 1e9) / 1e9;
}

export function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

export function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return (value instanceof Date ? value : new Date(String(value))).toISOString();
}

export function ids(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

export function byCodePoint(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** Most expensive first (unpriced last), then by key: applied after rounding so float noise cannot reorder rows. */
export function costDescThenKey<T>(cost: (row: T) => number | null, key: (row: T) => string | null) {
  return (a: T, b: T): number => (cost(b) ?? -1) - (cost(a) ?? -1) || byCodePoint(key(a), key(b));
}

/** Default windows, in seconds. Prefix reuse uses the provider prompt-cache TTL (about 5 minutes at OpenAI and Anthropic). */
export const PREFIX_WINDOW_SECONDS = 300;
export const DUPLICATE_WINDOW_SECONDS = 3600;
export const RETRY_WINDOW_SECONDS = 60;
export const TRUNCATION_RETRY_WINDOW_SECONDS = 3600;

export function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) throw invalid(`${name} must be a non-negative number, got ${String(value)}.`);
  return v;
}

export function requireOwner(owner: string): void {
  if (typeof owner !== "string" || owner.length === 0) throw invalid("Pass the owner account of the corpus.");
}

export const CONDITION_COLUMNS = [
  "status", "finish_reason", "error_type", "model", "feature", "user_id", "session_id", "request_hash", "prefix_hash",
  "service_tier", "stream",
] as const;

export const tokenSums = `coalesce(sum(input_tokens), 0) AS input_tokens, coalesce(sum(output_tokens), 0) AS output_tokens,
  coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens`;
export const costSums = `sum(${COST}) AS cost_usd, coalesce(sum(CASE WHEN ${COST} IS NULL THEN num_requests ELSE 0 END), 0) AS unpriced_calls`;
export const cacheWriteSum = "coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens";
/** Finish reasons of a call that stopped to ask for a tool (OpenAI, Anthropic, legacy OpenAI functions). */
export const TOOL_FINISH = "finish_reason IN ('tool_calls', 'tool_use', 'function_call')";

/** Sort key of a (feature, model) group: rows without a feature last among equal costs. */
export function featureModelKey(row: { feature: string | null; model: string }): string {
  return `${row.feature ?? "\uffff"}\u0000${row.model}`;
}
