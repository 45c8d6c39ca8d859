import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UsageRecord } from "../analytics/record.ts";
import { contextBloatTool } from "./context-bloat.ts";
import type { AnalysisResult } from "./opportunity.ts";
import { at, call, oneDayPeriod, openToolTestBench, type ToolTestBench } from "./tool-test-bench.ts";

// gpt-4o: 2.5e-6 per input token, 1.25e-6 per cached input token.

const chat = { model: "gpt-4o", provider: "openai", feature: "chat", output_tokens: 100, user_id: "u1" };

function session(id: string, start: number, inputs: readonly number[], cacheReads: readonly number[] = []): UsageRecord[] {
  return inputs.map((input, turn) =>
    call({
      ...chat, id: `${id}-${turn + 1}`, session_id: id, timestamp: at(start + 60 * turn), input_tokens: input,
      ...(cacheReads[turn] ? { cache_read_tokens: cacheReads[turn] } : {}),
    }),
  );
}

describe("find_context_bloat", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    await bench.insert("alice", [
      ...oneDayPeriod(),
      // 10 sessions re-sending their history: 1000, 2000, 3000, 4000 input tokens.
      ...Array.from({ length: 10 }, (_, i) => session(`bloat${i}`, 1000 + 1000 * i, [1000, 2000, 3000, 4000])).flat(),
      // 20 well-built sessions: later turns send 1100 tokens (system + summary + message).
      ...Array.from({ length: 20 }, (_, i) => session(`trim${i}`, 30_000 + 1000 * i, [900, 1100, 1100])).flat(),
    ]);
    await bench.insert("dave", [
      ...oneDayPeriod(),
      // No well-built sessions to learn from; the bloated turns partly read the cache.
      ...Array.from({ length: 10 }, (_, i) => session(`d${i}`, 1000 + 1000 * i, [1000, 2000, 3000, 4000], [0, 1024, 1920, 2944])).flat(),
    ]);
  });
  afterAll(async () => bench?.close());

  it("trims later turns to what the feature's other sessions send", async () => {
    const { opportunities } = await bench.run<AnalysisResult>(contextBloatTool, "alice");
    expect(opportunities.map((o) => o.scope)).toEqual([{ feature: "chat", model: "gpt-4o" }]);
    const [o] = opportunities;
    // Per session (2000 + 3000 + 4000 - 3 x 1100) x 2.5e-6 = 0.01425; 10 sessions = 0.1425 a day.
    expect(o?.est_monthly_savings_usd).toBeCloseTo(0.1425 * 30, 6);
    expect(o?.evidence.counts).toMatchObject({ bloated_sessions: 10, other_sessions: 20, trimmed_target_tokens: 1100 });
    expect(o?.evidence.example_record_ids).toEqual(["bloat0-4", "bloat1-4", "bloat2-4", "bloat3-4", "bloat4-4"]);
  });

  it("falls back to the first turn plus a summary budget, counting cache reads at their price", async () => {
    const { opportunities } = await bench.run<AnalysisResult>(contextBloatTool, "dave");
    // Billed input of turns 2-4: (9000 - 5888) x 2.5e-6 + 5888 x 1.25e-6 = 0.01514; target 3 x 1200 x 2.5e-6 = 0.009.
    expect(opportunities[0]?.est_monthly_savings_usd).toBeCloseTo(10 * 0.00614 * 30, 6);
    expect(opportunities[0]?.confidence).toBeLessThan(0.5);
  });

  it("needs the minimum sessions and sees only the caller's rows", async () => {
    expect((await bench.run<AnalysisResult>(contextBloatTool, "alice", { minSessions: 11 })).opportunities).toEqual([]);
    expect((await bench.run<AnalysisResult>(contextBloatTool, "bob")).opportunities).toEqual([]);
  });
});

describe("find_context_bloat on long-context tiers", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    const doc = { model: "gemini-2.5-pro", provider: "google", feature: "contracts", output_tokens: 1000 };
    await bench.insert("erin", [
      ...oneDayPeriod(),
      ...Array.from({ length: 10 }, (_, i) => call({ ...doc, id: `long-${i}`, timestamp: at(1000 + i), input_tokens: 250_000 })),
      ...Array.from({ length: 10 }, (_, i) => call({ ...doc, id: `short-${i}`, timestamp: at(2000 + i), input_tokens: 150_000 })),
    ]);
  });
  afterAll(async () => bench?.close());

  it("prices the calls above the 200k tier as if trimmed to it at base rates", async () => {
    const { opportunities } = await bench.run<AnalysisResult>(contextBloatTool, "erin");
    expect(opportunities.map((o) => [o.scope, o.evidence.query])).toEqual([[{ feature: "contracts", model: "gemini-2.5-pro" }, "longInputCalls"]]);
    // Billed 250000 x 2.5e-6 + 1000 x 1.5e-5 = 0.64; trimmed 200000 x 1.25e-6 + 1000 x 1e-5 = 0.26; 10 x 0.38 a day.
    expect(opportunities[0]?.est_monthly_savings_usd).toBeCloseTo(3.8 * 30, 6);
    expect(opportunities[0]?.evidence.counts.calls_above_tier).toBe(10);
    expect((await bench.run<AnalysisResult>(contextBloatTool, "erin", { minLongContextCalls: 11 })).opportunities).toEqual([]);
  });
});

describe("find_context_bloat on chance growth", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    await bench.insert("frank", [
      ...oneDayPeriod(),
      // 10 sessions whose input happens to grow by more than each answer, among 300 well-built 4-turn sessions: 3%.
      ...Array.from({ length: 10 }, (_, i) => session(`grow${i}`, 1000 + 1000 * i, [1000, 1200, 1400, 1600])).flat(),
      ...Array.from({ length: 300 }, (_, i) => session(`ok${i}`, 20_000 + 200 * i, [900, 1100, 1050, 1100])).flat(),
    ]);
  });
  afterAll(async () => bench?.close());

  it("reports no bloat when growing sessions are a small minority of the feature's sessions", async () => {
    expect((await bench.run<AnalysisResult>(contextBloatTool, "frank")).opportunities).toEqual([]);
    const lenient = await bench.run<AnalysisResult>(contextBloatTool, "frank", { minBloatedShare: 0.03 });
    expect(lenient.opportunities.map((o) => o.evidence.counts.bloated_sessions)).toEqual([10]);
  });
});
