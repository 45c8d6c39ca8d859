// Retries with exponential back-off and full jitter, generic over the call. Jitter spreads the retries of many clients
// hit by the same outage; a server's retry-after wins over our own schedule.

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A retry-after longer than this is not waited for: the error is thrown at once. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

export interface RetryInfo {
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface RetryHooks {
  isRetryable(error: unknown): boolean;
  /** The wait the server asked for, if any. */
  retryAfterMs?(error: unknown): number | undefined;
  /** Aborting stops the back-off wait at once; the wait rejects with the signal's reason. */
  signal?: AbortSignal;
  random?: () => number;
  onRetry?(info: RetryInfo): void;
}

export interface Retried<T> {
  value: T;
  attempts: number;
}

/** The wait before attempt `failed + 1`: uniform in [0, min(max, base·2^(failed-1))]. */
export function backoffDelay(failed: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failed - 1));
  return Math.round(random() * ceiling);
}

/** Runs `attempt` until it succeeds, fails with a non-retryable error, or `maxAttempts` is reached (last error thrown). */
export async function retryWithBackoff<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks,
): Promise<Retried<T>> {
  for (let n = 1; ; n++) {
    try {
      return { value: await attempt(n), attempts: n };
    } catch (error) {
      if (n >= policy.maxAttempts || !hooks.isRetryable(error)) throw error;
      const asked = hooks.retryAfterMs?.(error);
      if (asked !== undefined && asked > policy.maxRetryAfterMs) throw error;
      const delayMs = asked ?? backoffDelay(n, policy, hooks.random);
      hooks.onRetry?.({ attempt: n, delayMs, error });
      await sleep(delayMs, hooks.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
