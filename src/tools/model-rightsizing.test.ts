import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOfflineProvider } from "../llm/offline.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { TrafficKind } from "../protocol/catalog.ts";
import { UserExecutionContext } from "../runtime/context.ts";
import type { AnalysisResult } from "./opportunity.ts";
import { modelRightsizingTool } from "./model-rightsizing.ts";
import { at, call, oneDayPeriod, openToolTestBench, type ToolTestBench } from "./tool-test-bench.ts";

// Bundled prices per token: gpt-4o 2.5e-6 in / 1e-5 out; gpt-4.1-nano 1e-7 in / 4e-7 out.

describe("find_model_rightsizing", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    const simple = { provider: "openai", feature: "classify", input_tokens: 1000, output_tokens: 20, finish_reason: "stop" };
    await bench.insert("alice", [
      ...oneDayPeriod(),
      // 60 labels on gpt-4o and 60 on gpt-4.1-nano: the feature already proves the cheap model works.
      ...Array.from({ length: 60 }, (_, i) => call({ ...simple, id: `big-${i}`, timestamp: at(100 + i), model: "gpt-4o" })),
      ...Array.from({ length: 60 }, (_, i) => call({ ...simple, id: `nano-${i}`, timestamp: at(200 + i), model: "gpt-4.1-nano" })),
      // An agent loop: short outputs but tool calls; not a simple task.
      ...Array.from({ length: 60 }, (_, i) =>
        call({ ...simple, id: `agent-${i}`, timestamp: at(300 + i), model: "gpt-4o", feature: "agent", finish_reason: "tool_calls" }),
      ),
      // Long answers: p90 output far above 256.
      ...Array.from({ length: 60 }, (_, i) =>
        call({ ...simple, id: `long-${i}`, timestamp: at(400 + i), model: "gpt-4o", feature: "write", output_tokens: 900 }),
      ),
    ]);
    // Bob's oversized classifier must not show in Alice's findings.
    await bench.insert("bob", Array.from({ length: 80 }, (_, i) => call({ ...simple, id: `b-${i}`, timestamp: at(i), model: "gpt-4o", feature: "bob-classify" })));
  });
  afterAll(async () => bench?.close());

  it("moves simple calls to the cheaper model the feature already uses, with the savings of the same tokens", async () => {
    const { opportunities } = await bench.run<AnalysisResult>(modelRightsizingTool, "alice");
    expect(opportunities).toHaveLength(1);
    const [o] = opportunities;
    expect(o?.kind).toBe("model_rightsizing");
    expect(o?.scope).toEqual({ feature: "classify", model: "gpt-4o" });
    // Per call 1000 x 2.5e-6 + 20 x 1e-5 = 0.0027 on gpt-4o, 1000 x 1e-7 + 20 x 4e-7 = 0.000108 on nano:
    // 60 x 0.002592 = 0.15552 over one day, x 30 a month.
    expect(o?.est_monthly_savings_usd).toBeCloseTo(4.6656, 6);
    expect(o?.evidence.query).toBe("featureModels");
    expect(o?.evidence.counts.calls).toBe(60);
    expect(o?.evidence.example_record_ids).toEqual(["big-0", "big-1", "big-2", "big-3", "big-4"]);
    expect(o?.actions[0]?.step).toContain("gpt-4.1-nano");
    expect(o?.confidence).toBeGreaterThan(0.5);
  });

  it("suggests a listed model only when it is much cheaper, and reports nothing for a lone cheap model", async () => {
    const { opportunities } = await bench.run<AnalysisResult>(modelRightsizingTool, "bob");
    // gpt-4o has listed OpenAI models at a small fraction of its price: one finding, lower confidence.
    expect(opportunities.map((o) => o.scope)).toEqual([{ feature: "bob-classify", model: "gpt-4o" }]);
    expect(opportunities[0]?.confidence).toBeLessThan(0.5);
    const nanoOnly = await bench.run<AnalysisResult>(modelRightsizingTool, "alice", { scope: { models: ["gpt-4.1-nano"] } });
    expect(nanoOnly.opportunities).toEqual([]);
  });

  it("moves simple calls to a substitute the supply catalog declares safe for classification, however near in price", async () => {
    const book = new PriceBook({
      catalog: [
        { model: "gpt-4o", provider: "openai", input_per_mtok: 2.5, output_per_mtok: 10, substitutes: [{ model: "house-small", for: [TrafficKind.CLASSIFICATION] }] },
        // 0.4x the price of gpt-4o: too dear for a model merely listed, taken because the catalog vouches for it.
        { model: "house-small", provider: "openai", input_per_mtok: 1, output_per_mtok: 4 },
      ],
    });
    const context = UserExecutionContext.create({ userId: "bob", threadId: "t1", runId: "r1" });
    const result = (await modelRightsizingTool.execute(modelRightsizingTool.parameters.parse({}), {
      context,
      signal: context.signal,
      services: { usage: bench.store, prices: book, llm: createOfflineProvider() },
      agentName: "test",
      toolCallId: "c1",
    })) as AnalysisResult;
    expect(result.opportunities.map((o) => o.title)).toEqual(["Move bob-classify calls from gpt-4o to house-small"]);
  });

    it("finds nothing for an owner without data", async () => {
    expect(await bench.run<AnalysisResult>(modelRightsizingTool, "carol")).toEqual({ opportunities: [] });
  });
});
