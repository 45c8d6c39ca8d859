import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalysisResult } from "./opportunity.ts";
import { promptCachingTool } from "./prompt-caching.ts";
import { at, call, oneDayPeriod, openToolTestBench, type ToolTestBench } from "./tool-test-bench.ts";

// Bundled prices per token: claude-sonnet-4 3e-6 in, 3e-7 cache read, 3.75e-6 cache write; gpt-4o 2.5e-6 in, 1.25e-6 read.

describe("find_prompt_caching", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    const kb = { model: "claude-sonnet-4-20250514", provider: "anthropic", feature: "kb", prefix_hash: "KB", prefix_tokens: 2000, input_tokens: 3000, output_tokens: 100 };
    const oa = { model: "gpt-4o", provider: "openai", feature: "assist", prefix_hash: "AS", prefix_tokens: 1500, input_tokens: 2000, output_tokens: 100 };
    await bench.insert("alice", [
      ...oneDayPeriod(),
      // KB: one cold call, then 25 uncached calls 60 s apart (warm), and one call that did read the cache.
      ...Array.from({ length: 26 }, (_, i) => call({ ...kb, id: `kb-${i}`, timestamp: at(1000 + 60 * i) })),
      call({ ...kb, id: "kb-cached", timestamp: at(1000 + 60 * 26), cache_read_tokens: 2000 }),
      // OpenAI: 1 cold + 25 warm uncached calls of a 1,500-token prefix.
      ...Array.from({ length: 26 }, (_, i) => call({ ...oa, id: `as-${i}`, timestamp: at(5000 + 30 * i) })),
      // A 500-token prefix: below the providers' 1,024 minimum.
      ...Array.from({ length: 40 }, (_, i) => call({ ...kb, id: `small-${i}`, timestamp: at(9000 + 10 * i), prefix_hash: "SM", prefix_tokens: 500, feature: "small" })),
    ]);
    await bench.insert("bob", Array.from({ length: 40 }, (_, i) => call({ ...kb, id: `b-${i}`, timestamp: at(10 * i), feature: "bob-kb" })));
  });
  afterAll(async () => bench?.close());

  it("prices warm hits as cache reads and cold calls as cache writes (explicit cache) or hits only (automatic)", async () => {
    const { opportunities } = await bench.run<AnalysisResult>(promptCachingTool, "alice");
    expect(opportunities.map((o) => o.scope)).toEqual([
      { feature: "kb", model: "claude-sonnet-4-20250514" },
      { feature: "assist", model: "gpt-4o" },
    ]);
    const [kb, assist] = opportunities;
    // 25 hits x 2000 x (3e-6 - 3e-7) = 0.135, minus 1 cold x 2000 x (3.75e-6 - 3e-6) = 0.0015: 0.1335 a day.
    expect(kb?.est_monthly_savings_usd).toBeCloseTo(0.1335 * 30, 6);
    expect(kb?.evidence.counts.uncached_calls_on_warm_cache).toBe(25);
    expect(kb?.evidence.example_record_ids).toEqual(["kb-1", "kb-2", "kb-3", "kb-4", "kb-5"]);
    expect(kb?.actions[0]?.detail).toContain("cache_control");
    // OpenAI caches 1,024 + 3 x 128 = 1,408 of the 1,500 tokens: 25 x 1408 x 1.25e-6 = 0.044 a day.
    expect(assist?.est_monthly_savings_usd).toBeCloseTo(0.044 * 30, 6);
  });

  it("reports nothing below the minimum hits, and never another owner's prefixes", async () => {
    expect((await bench.run<AnalysisResult>(promptCachingTool, "alice", { minHits: 26 })).opportunities).toEqual([]);
    const bob = await bench.run<AnalysisResult>(promptCachingTool, "bob");
    expect(bob.opportunities.map((o) => o.scope.feature)).toEqual(["bob-kb"]);
  });
});
