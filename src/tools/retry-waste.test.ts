import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalysisResult } from "./opportunity.ts";
import { retryWasteTool } from "./retry-waste.ts";
import { at, call, oneDayPeriod, openToolTestBench, type ToolTestBench } from "./tool-test-bench.ts";

// gpt-4.1: 2e-6 per input token, 8e-6 per output token; a failed call of 1000 in + 50 out costs 0.0024.

describe("find_retry_waste", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    const step = { model: "gpt-4.1", provider: "openai", feature: "agent", input_tokens: 1000 };
    await bench.insert("alice", [
      ...oneDayPeriod(),
      ...Array.from({ length: 12 }, (_, i) => [
        call({ ...step, id: `fail-${i}`, timestamp: at(1000 + 100 * i), request_hash: `R${i}`, output_tokens: 50, status: "error", error_type: "timeout", duration_ms: 30_000 }),
        call({ ...step, id: `ok-${i}`, timestamp: at(1040 + 100 * i), request_hash: `R${i}`, output_tokens: 80, duration_ms: 4_000 }),
      ]).flat(),
      // Failed before any token was billed: nothing wasted.
      call({ ...step, id: "free-fail", timestamp: at(4000), request_hash: "RF", status: "error", error_type: "overloaded", input_tokens: 0 }),
      // Another feature with only 3 billed failures: under the minimum.
      ...Array.from({ length: 3 }, (_, i) =>
        call({ ...step, id: `rare-${i}`, timestamp: at(5000 + i), feature: "rare", output_tokens: 10, status: "error", error_type: "timeout" }),
      ),
    ]);
  });
  afterAll(async () => bench?.close());

  it("prices the billed failures and proposes a timeout from the feature's durations", async () => {
    const { opportunities } = await bench.run<AnalysisResult>(retryWasteTool, "alice");
    expect(opportunities.map((o) => o.scope)).toEqual([{ feature: "agent", model: "gpt-4.1" }]);
    const [o] = opportunities;
    // 12 x (1000 x 2e-6 + 50 x 8e-6) = 12 x 0.0024 = 0.0288 a day.
    expect(o?.est_monthly_savings_usd).toBeCloseTo(0.0288 * 30, 6);
    expect(o?.evidence.counts).toMatchObject({ failed_billed_calls: 12, retried_within_window: 12 });
    // p99 duration of agent calls (12 x 30 s, 12 x 4 s) is 30 s: timeout 45 s.
    expect(o?.actions[0]?.step).toContain("45 s");
  });

  it("needs the minimum failures and sees only the caller's rows", async () => {
    expect((await bench.run<AnalysisResult>(retryWasteTool, "alice", { minFailedCalls: 13 })).opportunities).toEqual([]);
    expect((await bench.run<AnalysisResult>(retryWasteTool, "bob")).opportunities).toEqual([]);
  });
});
