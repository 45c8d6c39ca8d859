import { ApexError, isApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { classifyProviderError, type Endpoint } from "./provider-error.ts";
import type { ChatOptions } from "./provider.ts";
import { DEFAULT_RETRY_POLICY, type Retried, type RetryInfo, type RetryPolicy, retryWithBackoff } from "./retry.ts";

// What wraps every HTTP call of a provider: the circuit breaker outside, then one deadline for the whole call, then
// retries with back-off inside it. The caller's abort signal cuts through all three at once.

export interface CallPolicyOptions {
  retry?: Partial<RetryPolicy>;
  /** Consecutive failed calls that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long an open circuit fails fast before one trial call (default 30 s). */
  coolDownMs?: number;
  /** Default deadline of a call when the caller gives none (default 60 s). */
  timeoutMs?: number;
  onRetry?: (info: RetryInfo) => void;
  random?: () => number;
  now?: () => number;
}

export interface PolicyResult<T> {
  value: T;
  attempts: number;
  /** Wall time of the whole call, retries and waits included. */
  latency_ms: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

export class CallPolicy {
  private readonly breaker: CircuitBreaker;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    readonly endpoint: Endpoint,
    private readonly options: CallPolicyOptions = {},
  ) {
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
    this.breaker = new CircuitBreaker({
      failureThreshold: options.failureThreshold ?? 5,
      coolDownMs: options.coolDownMs ?? 30_000,
      isFailure: (error) =>
        isApexError(error) && (error.code === ErrorCode.LLM_UNAVAILABLE || error.code === ErrorCode.LLM_TIMEOUT),
      openError: ({ failures, trialAt }) => this.openCircuitError(failures, trialAt),
      now: this.now,
    });
  }

  /** Runs `attempt` under the breaker, the deadline and the retry policy; every failure comes out as an ApexError. */
  async run<T>(attempt: (signal: AbortSignal) => Promise<T>, options: ChatOptions = {}): Promise<PolicyResult<T>> {
    const caller = options.signal;
    if (caller?.aborted) throw cancelled(caller.reason);
    const started = performance.now();
    const result = await this.breaker.run(() => this.withDeadline(attempt, caller, options.timeoutMs ?? this.timeoutMs));
    return { ...result, latency_ms: Math.round(performance.now() - started) };
  }

  /** One call without retries or breaker, for start-up checks that must report the first failure as it is. */
  async once<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    caller: AbortSignal | undefined,
    timeoutMs: number = DEFAULT_CHECK_TIMEOUT_MS,
  ): Promise<Omit<PolicyResult<T>, "attempts">> {
    if (caller?.aborted) throw cancelled(caller.reason);
    const started = performance.now();
    const { value } = await this.withDeadline(attempt, caller, timeoutMs, 1);
    return { value, latency_ms: Math.round(performance.now() - started) };
  }

  private async withDeadline<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    caller: AbortSignal | undefined,
    timeoutMs: number,
    maxAttempts: number = this.retry.maxAttempts,
  ): Promise<Retried<T>> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const signal = caller ? AbortSignal.any([caller, deadline.signal]) : deadline.signal;
    let last: ApexError | undefined;
    let attempts = 0;
    const interrupted = (): ApexError | undefined => {
      if (caller?.aborted) return cancelled(caller.reason);
      if (deadline.signal.aborted) return this.timeoutError(timeoutMs, last);
      return undefined;
    };
    try {
      return await retryWithBackoff(
        async () => {
          try {
            return await untilAborted(attempt(signal), signal);
          } catch (error) {
            const stopped = interrupted();
            if (stopped) throw stopped;
            last = classifyProviderError(error, this.endpoint);
            attempts += 1;
            throw last;
          }
        },
        { ...this.retry, maxAttempts },
        {
          isRetryable: (error) => isApexError(error) && error.retryable && error.code === ErrorCode.LLM_UNAVAILABLE,
          retryAfterMs: (error) => (isApexError(error) ? numberOr(error.details?.retryAfterMs) : undefined),
          signal,
          ...(this.options.random ? { random: this.options.random } : {}),
          ...(this.options.onRetry ? { onRetry: this.options.onRetry } : {}),
        },
      );
    } catch (error) {
      throw interrupted() ?? gaveUp(error, attempts);
    } finally {
      clearTimeout(timer);
    }
  }

  private timeoutError(timeoutMs: number, last: ApexError | undefined): ApexError {
    const before = last ? ` (last failure: ${last.message})` : "";
    return new ApexError(
      ErrorCode.LLM_TIMEOUT,
      `${this.endpoint.label} did not answer within ${timeoutMs} ms${before}. Give the call more time or check the endpoint.`,
      { retryable: true, ...(last ? { cause: last } : {}) },
    );
  }

  private openCircuitError(failures: number, trialAt: number | null): ApexError {
    const when =
      trialAt === null
        ? "a trial call is running now; it closes again if that call succeeds"
        : `it lets one trial call through at ${new Date(trialAt).toISOString()} (in ${Math.max(0, Math.ceil((trialAt - this.now()) / 1000))} s) and closes again if that call succeeds`;
    return new ApexError(
      ErrorCode.LLM_UNAVAILABLE,
      `${this.endpoint.label} failed ${failures} calls in a row, so calls to it fail fast for now: ${when}.`,
      { retryable: true, details: { circuit: "open", failures, trialAt } },
    );
  }
}

/** The last failure, saying how many attempts were spent on it when there was more than one. */
function gaveUp(error: unknown, attempts: number): unknown {
  if (!isApexError(error) || attempts < 2) return error;
  return new ApexError(error.code, `${error.message} (gave up after ${attempts} attempts)`, {
    cause: error,
    retryable: error.retryable,
    details: { ...error.details, attempts },
  });
}

/** The caller's reason when it is already ours, else a `cancelled` error carrying it. */
function cancelled(reason: unknown): ApexError {
  if (isApexError(reason)) return reason;
  return new ApexError(ErrorCode.CANCELLED, "The LLM call was cancelled.", { cause: reason });
}

/** Settles like `work`, or rejects as soon as `signal` aborts: an SDK that is slow to notice cannot hold the caller. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let stop = (): void => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    stop = () => reject(signal.reason);
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  });
  // The SDK rejects too once it notices the abort; that late rejection is expected, not unhandled.
  work.catch(() => undefined);
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener("abort", stop));
}

function numberOr(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}
