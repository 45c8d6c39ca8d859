import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalysisResult } from "./opportunity.ts";
import { responseCachingTool } from "./response-caching.ts";
import { at, call, oneDayPeriod, openToolTestBench, type ToolTestBench } from "./tool-test-bench.ts";

// gpt-4o: 2.5e-6 per input token, 1e-5 per output token; 1000 in + 100 out = 0.0035 a call.

describe("find_response_caching", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    const faq = { model: "gpt-4o", provider: "openai", feature: "faq", input_tokens: 1000, output_tokens: 100, temperature: 0, finish_reason: "stop" };
    await bench.insert("alice", [
      ...oneDayPeriod(),
      // The same deterministic request 11 times a minute apart: 10 repeats of a complete answer.
      ...Array.from({ length: 11 }, (_, i) => call({ ...faq, id: `faq-${i}`, timestamp: at(1000 + 60 * i), request_hash: "Q1" })),
      // Sampled at temperature 0.7: a repeat is a new answer, not a cache candidate.
      ...Array.from({ length: 11 }, (_, i) => call({ ...faq, id: `hot-${i}`, timestamp: at(2000 + 60 * i), request_hash: "Q2", temperature: 0.7 })),
      // Every earlier answer was cut by max_tokens: nothing cacheable to serve again.
      ...Array.from({ length: 11 }, (_, i) => call({ ...faq, id: `cut-${i}`, timestamp: at(3000 + 60 * i), request_hash: "Q3", finish_reason: "length" })),
    ]);
    await bench.insert("bob", Array.from({ length: 30 }, (_, i) => call({ ...faq, id: `b-${i}`, timestamp: at(i), request_hash: "Q1", feature: "bob-faq" })));
  });
  afterAll(async () => bench?.close());

  it("prices the repeats of complete deterministic answers", async () => {
    const { opportunities } = await bench.run<AnalysisResult>(responseCachingTool, "alice");
    expect(opportunities).toHaveLength(1);
    const [o] = opportunities;
    expect(o?.scope).toEqual({ feature: "faq", model: "gpt-4o" });
    // 10 repeats x 0.0035 = 0.035 a day.
    expect(o?.est_monthly_savings_usd).toBeCloseTo(1.05, 6);
    expect(o?.evidence.counts.repeats).toBe(10);
    expect(o?.evidence.example_record_ids).toEqual(["faq-1", "faq-2", "faq-3", "faq-4", "faq-5"]);
  });

  it("needs the minimum number of repeats and keeps owners apart", async () => {
    expect((await bench.run<AnalysisResult>(responseCachingTool, "alice", { minRepeats: 11 })).opportunities).toEqual([]);
    const bob = await bench.run<AnalysisResult>(responseCachingTool, "bob");
    expect(bob.opportunities.map((o) => [o.scope.feature, o.evidence.counts.repeats])).toEqual([["bob-faq", 29]]);
  });
});
