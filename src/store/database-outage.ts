import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";

// What a database blip looks like, recognised in one place, and how work that is safe to repeat rides it out. A blip
// (PostgreSQL restarting, a dropped connection, a full server) is `database_unavailable` and retryable; every other
// database error (a constraint, bad SQL) is not, and is never retried. PGlite runs in-process and has no such errors.

/** SQLSTATEs of a server that is going away, starting up, full or unreachable (class 08: connection exception). */
const TRANSIENT_SQLSTATES: ReadonlySet<string> = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, in recovery)
  "53300", // too_many_connections
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
]);
/** Socket errors of a connection refused, cut or timed out. */
const TRANSIENT_ERRNOS: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);
/** node-postgres reports a lost or timed-out connection with a plain Error carrying only these messages. */
const TRANSIENT_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Connection is closed/,
  /^Query read timeout/,
];
/** How deep a chain of causes is followed (drizzle wraps the driver's error once; guard against cycles). */
const MAX_CAUSE_DEPTH = 8;

/** Default time a retried write keeps trying: longer than a PostgreSQL restart (~10 s). */
export const DEFAULT_RETRY_BUDGET_MS = 15_000;
/** Delays between attempts: doubling from the first, never longer than the cap. */
const FIRST_RETRY_MS = 100;
const RETRY_CAP_MS = 1_000;

/** True when `error` (or an error it wraps) says the database was unreachable for a moment, not that the query was wrong. */
export function isTransientDatabaseError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== null && typeof current === "object"; depth += 1) {
    // Ours: a blip already recognised; any other code may still wrap one (the emitter's event_sink_failed does).
    if (current instanceof ApexError && current.code === ErrorCode.DATABASE_UNAVAILABLE && current.retryable) return true;
    const { code, message, errors } = current as { code?: unknown; message?: unknown; errors?: unknown };
    if (typeof code === "string" && (TRANSIENT_SQLSTATES.has(code) || TRANSIENT_ERRNOS.has(code))) return true;
    if (typeof message === "string" && TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) return true;
    // A connect that tried several addresses fails with an AggregateError of the socket errors.
    if (Array.isArray(errors) && errors.some((inner) => isTransientDatabaseError(inner))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The one `database_unavailable` users see. Its message never repeats the driver's (that one may carry SQL, parameters
 * or the server's address); the original stays as the cause, for the logs.
 */
export function databaseUnavailable(what: string, cause?: unknown): ApexError {
  return new ApexError(ErrorCode.DATABASE_UNAVAILABLE, `The database is unreachable right now, so ${what}; try again in a few seconds.`, {
    cause,
    retryable: true,
  });
}

/** `error` as callers should see it: a blip becomes `database_unavailable`, anything else is returned as it is. */
export function storeError(error: unknown, what = "the request could not be completed"): unknown {
  if (!isTransientDatabaseError(error) || (error instanceof ApexError && error.code === ErrorCode.DATABASE_UNAVAILABLE)) return error;
  return databaseUnavailable(what, error);
}

export interface RetryOptions {
  /** How long to keep trying after the first failure; then `database_unavailable` is thrown. */
  budgetMs?: number;
  /** What could not be done, for the final error: "the run could not be recorded as finished". */
  what?: string;
  /** Stops the retries (the run was cancelled): the last error is thrown at once. */
  signal?: AbortSignal;
  /** Told of each failed attempt that will be retried. */
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Delay before retry number `attempt` (0-based): 100, 200, 400, 800, 1000, 1000… ms. */
export function retryDelay(attempt: number): number {
  return Math.min(RETRY_CAP_MS, FIRST_RETRY_MS * 2 ** attempt);
}

/**
 * Runs `work`, and again after each transient database error, with bounded backoff, until it succeeds or the budget is
 * spent. Only for work that is safe to repeat: an idempotent write, a read, or a write whose retry detects that an
 * earlier attempt did commit. Other errors are thrown at once.
 */
export async function retryThroughOutage<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const budgetMs = options.budgetMs ?? DEFAULT_RETRY_BUDGET_MS;
  const started = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;
      const delay = retryDelay(attempt);
      if (options.signal?.aborted === true || Date.now() - started + delay > budgetMs) {
        throw storeError(error, options.what);
      }
      options.onRetry?.(error, attempt);
      await sleep(delay, options.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
