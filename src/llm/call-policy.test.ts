import { describe, expect, it } from "vitest";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { CallPolicy } from "./call-policy.ts";
import { rejection } from "./fixtures/rejection.ts";
import type { RetryInfo } from "./retry.ts";

const endpoint = { label: "openai (m at http://h/v1)", baseURL: "http://h/v1", model: "m", apiKey: undefined };
/** An SDK call that never settles and ignores its signal: only the policy can end the wait. */
const deaf = (): Promise<never> => new Promise<never>(() => undefined);
const refused = (): Error => new Error("Connection error.", { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });

describe("CallPolicy", () => {
  it("ends the wait on abort even when the call ignores its signal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = performance.now();
    const error = await rejection(new CallPolicy(endpoint).run(deaf, { signal: controller.signal }));
    expect(error.code).toBe(ErrorCode.CANCELLED);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("ends the wait at the deadline even when the call ignores its signal", async () => {
    const error = await rejection(new CallPolicy(endpoint).run(deaf, { timeoutMs: 30 }));
    expect(error.code).toBe(ErrorCode.LLM_TIMEOUT);
    expect(error.retryable).toBe(true);
  });

  it("retries network failures, reporting each retry, and returns the attempts and latency", async () => {
    const retries: RetryInfo[] = [];
    const policy = new CallPolicy(endpoint, { retry: { baseDelayMs: 1 }, onRetry: (info) => retries.push(info) });
    let calls = 0;
    const result = await policy.run(async () => {
      calls += 1;
      if (calls < 3) throw refused();
      return "answer";
    });
    expect(result).toMatchObject({ value: "answer", attempts: 3 });
    expect(result.latency_ms).toBeGreaterThanOrEqual(0);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect((retries[0]?.error as ApexError).message).toContain("ECONNREFUSED");
  });

  it("once() makes a single attempt: a start-up check reports the first failure as it is", async () => {
    let calls = 0;
    const error = await rejection(
      new CallPolicy(endpoint).once(async () => {
        calls += 1;
        throw refused();
      }, undefined),
    );
    expect(error.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(calls).toBe(1);
  });

  it("a timeout counts against the circuit like an unavailable endpoint", async () => {
    const policy = new CallPolicy(endpoint, { failureThreshold: 1, coolDownMs: 60_000 });
    await rejection(policy.run(deaf, { timeoutMs: 10 }));
    const open = await rejection(policy.run(async () => "never called"));
    expect(open.details).toMatchObject({ circuit: "open", failures: 1 });
  });
});
