import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_RETRY_POLICY, type RetryInfo, type RetryPolicy, retryWithBackoff } from "./retry.ts";

const fast: RetryPolicy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 40, maxRetryAfterMs: 1_000 };
const transient = new Error("transient");
const permanent = new Error("permanent");
const isRetryable = (error: unknown): boolean => error === transient;

describe("backoffDelay", () => {
  it("doubles the ceiling per failure, caps it, and jitters below it", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, fast, () => 1))).toEqual([10, 20, 40, 40, 40]);
    expect(backoffDelay(3, fast, () => 0)).toBe(0);
    expect(backoffDelay(2, fast, () => 0.5)).toBe(10);
    expect(backoffDelay(1, DEFAULT_RETRY_POLICY, () => 1)).toBe(DEFAULT_RETRY_POLICY.baseDelayMs);
  });
});

describe("retryWithBackoff", () => {
  it("retries retryable failures and reports the attempts it took", async () => {
    const seen: RetryInfo[] = [];
    let calls = 0;
    const result = await retryWithBackoff(
      async (n) => {
        calls++;
        if (n < 3) throw transient;
        return "done";
      },
      fast,
      { isRetryable, random: () => 1, onRetry: (info) => seen.push(info) },
    );
    expect(result).toEqual({ value: "done", attempts: 3 });
    expect(calls).toBe(3);
    expect(seen.map((s) => [s.attempt, s.delayMs])).toEqual([
      [1, 10],
      [2, 20],
    ]);
  });

  it("does not retry a non-retryable failure", async () => {
    let calls = 0;
    const run = retryWithBackoff(
      async () => {
        calls++;
        throw permanent;
      },
      fast,
      { isRetryable },
    );
    await expect(run).rejects.toBe(permanent);
    expect(calls).toBe(1);
  });

  it("throws the last error after maxAttempts", async () => {
    let calls = 0;
    const run = retryWithBackoff(
      async () => {
        calls++;
        throw transient;
      },
      { ...fast, maxAttempts: 2 },
      { isRetryable, random: () => 0 },
    );
    await expect(run).rejects.toBe(transient);
    expect(calls).toBe(2);
  });

  it("waits what the server asked instead of its own schedule", async () => {
    const seen: number[] = [];
    const started = performance.now();
    await retryWithBackoff(
      async (n) => {
        if (n === 1) throw transient;
        return n;
      },
      fast,
      { isRetryable, retryAfterMs: () => 120, random: () => 0, onRetry: (info) => seen.push(info.delayMs) },
    );
    expect(seen).toEqual([120]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  it("gives up at once when the server asks for a wait longer than maxRetryAfterMs", async () => {
    let calls = 0;
    const run = retryWithBackoff(
      async () => {
        calls++;
        throw transient;
      },
      fast,
      { isRetryable, retryAfterMs: () => 5_000 },
    );
    await expect(run).rejects.toBe(transient);
    expect(calls).toBe(1);
  });

  it("stops waiting the moment the signal aborts, with the signal's reason", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    setTimeout(() => controller.abort(reason), 30);
    const started = performance.now();
    const run = retryWithBackoff(
      async () => {
        throw transient;
      },
      fast,
      { isRetryable, retryAfterMs: () => 900, signal: controller.signal },
    );
    await expect(run).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
