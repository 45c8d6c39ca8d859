import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalysisResult } from "./opportunity.ts";
import { priorityTierTool } from "./priority-tier.ts";
import { at, call, oneDayPeriod, openToolTestBench, type ToolTestBench } from "./tool-test-bench.ts";

// gpt-5-mini: 2.5e-7 per input token, 2e-6 per output token at standard; priority is 1.75x.

describe("find_priority_tier", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    const enrich = { model: "gpt-5-mini", provider: "openai", input_tokens: 1000, output_tokens: 500, stream: false, service_tier: "priority" as const };
    await bench.insert("alice", [
      ...oneDayPeriod(),
      ...Array.from({ length: 30 }, (_, i) => call({ ...enrich, id: `en-${i}`, timestamp: at(3600 + 30 * i), feature: "enrich" })),
      // Streamed to a user at priority: latency may matter, not reported.
      ...Array.from({ length: 30 }, (_, i) => call({ ...enrich, id: `live-${i}`, timestamp: at(3600 + 30 * i), feature: "live", stream: true, user_id: "u1" })),
    ]);
  });
  afterAll(async () => bench?.close());

  it("prices the priority premium of unattended calls", async () => {
    const { opportunities } = await bench.run<AnalysisResult>(priorityTierTool, "alice");
    expect(opportunities.map((o) => o.scope)).toEqual([{ feature: "enrich", model: "gpt-5-mini" }]);
    // Standard 1000 x 2.5e-7 + 500 x 2e-6 = 0.00125; priority 0.0021875; 30 x 0.0009375 = 0.028125 a day.
    expect(opportunities[0]?.est_monthly_savings_usd).toBeCloseTo(0.028125 * 30, 6);
    expect(opportunities[0]?.evidence.counts.priority_calls).toBe(30);
  });

  it("needs the minimum calls, and sees nothing of another owner", async () => {
    expect((await bench.run<AnalysisResult>(priorityTierTool, "alice", { minCalls: 31 })).opportunities).toEqual([]);
    expect((await bench.run<AnalysisResult>(priorityTierTool, "bob")).opportunities).toEqual([]);
  });
});
