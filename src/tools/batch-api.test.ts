import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchApiTool } from "./batch-api.ts";
import type { AnalysisResult } from "./opportunity.ts";
import { at, call, oneDayPeriod, openToolTestBench, type ToolTestBench } from "./tool-test-bench.ts";

// gemini-2.5-flash: 3e-7 per input token, 2.5e-6 per output token; batch is half price.

describe("find_batch_api", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    const job = { model: "gemini-2.5-flash", provider: "google", input_tokens: 10_000, output_tokens: 500, stream: false, service_tier: "standard" as const };
    await bench.insert("alice", [
      ...oneDayPeriod(),
      // A night job: 60 unattended calls between 07:00 and 08:00 UTC.
      ...Array.from({ length: 60 }, (_, i) => call({ ...job, id: `digest-${i}`, timestamp: at(7 * 3600 + 60 * i), feature: "digest" })),
      // The same calls on behalf of users: someone is waiting.
      ...Array.from({ length: 60 }, (_, i) => call({ ...job, id: `ask-${i}`, timestamp: at(7 * 3600 + 60 * i), feature: "ask", user_id: `u${i}` })),
      // Unattended but spread over the whole day and never batched: no sign it can wait.
      ...Array.from({ length: 72 }, (_, i) => call({ ...job, id: `sync-${i}`, timestamp: at(1200 * i), feature: "sync" })),
    ]);
    await bench.insert("bob", Array.from({ length: 60 }, (_, i) => call({ ...job, id: `b-${i}`, timestamp: at(60 * i), feature: "bob-digest" })));
  });
  afterAll(async () => bench?.close());

  it("halves the cost of an unattended burst at standard tier", async () => {
    const { opportunities } = await bench.run<AnalysisResult>(batchApiTool, "alice");
    expect(opportunities.map((o) => o.scope)).toEqual([{ feature: "digest", model: "gemini-2.5-flash" }]);
    const [o] = opportunities;
    // 60 x (10000 x 3e-7 + 500 x 2.5e-6) = 60 x 0.00425 = 0.255 a day; half of it saved.
    expect(o?.est_monthly_savings_usd).toBeCloseTo(0.1275 * 30, 6);
    expect(o?.evidence.counts.busiest_hours_share).toBe(1);
    expect(o?.evidence.example_record_ids).toHaveLength(5);
    expect(o?.actions[0]?.step).toContain("batch");
  });

  it("counts a feature that already batches part of its calls, and only the caller's rows", async () => {
    const job = { model: "gemini-2.5-flash", provider: "google", input_tokens: 10_000, output_tokens: 500, stream: false, feature: "sync" };
    await bench.insert("carol", [
      ...oneDayPeriod(),
      ...Array.from({ length: 72 }, (_, i) => call({ ...job, id: `s-${i}`, timestamp: at(1200 * i), service_tier: "standard" })),
      ...Array.from({ length: 10 }, (_, i) => call({ ...job, id: `sb-${i}`, timestamp: at(600 + 1200 * i), service_tier: "batch" })),
    ]);
    const carol = await bench.run<AnalysisResult>(batchApiTool, "carol");
    expect(carol.opportunities.map((o) => o.evidence.counts.standard_tier_calls)).toEqual([72]);
    const bob = await bench.run<AnalysisResult>(batchApiTool, "bob");
    expect(bob.opportunities.map((o) => o.scope.feature)).toEqual(["bob-digest"]);
  });
});
