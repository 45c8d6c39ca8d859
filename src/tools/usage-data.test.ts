import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOfflineProvider } from "../llm/offline.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { UserExecutionContext } from "../runtime/context.ts";
import type { ApexServices } from "./services.ts";
import type { CorpusSummary, TokenPercentiles, UnpricedModel, UsageBreakdownRow, UsageTotals } from "../analytics/store.ts";
import { at, call, openToolTestBench, type ToolTestBench } from "./tool-test-bench.ts";
import { listCorporaTool, MAX_TOOL_ROWS, unpricedModelsTool, usageBreakdownTool, usagePercentilesTool, usageTotalsTool } from "./usage-data.ts";

// gpt-4o: 1000 in + 100 out = 0.0035 USD a call.

describe("usage data tools", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    const base = { model: "gpt-4o", provider: "openai", input_tokens: 1000, output_tokens: 100 };
    await bench.insert("alice", [
      call({ ...base, id: "a1", timestamp: at(0), feature: "chat", duration_ms: 1000 }),
      call({ ...base, id: "a2", timestamp: at(3600), feature: "chat", duration_ms: 3000 }),
      call({ ...base, id: "a3", timestamp: at(7200), feature: "search", model: "private-model-x" }),
    ]);
    await bench.insert("bob", [call({ ...base, id: "b1", timestamp: at(0), feature: "bob", input_tokens: 99_999 })]);
  });
  afterAll(async () => bench?.close());

  it("totals the caller's usage only", async () => {
    const totals = await bench.run<UsageTotals>(usageTotalsTool, "alice");
    expect(totals).toMatchObject({ records: 3, calls: 3, input_tokens: 3000, unpriced_calls: 1 });
    expect(totals.cost_usd).toBeCloseTo(0.007, 9);
    expect(totals.period.days).toBeCloseTo(2 / 24, 9);
    expect((await bench.run<UsageTotals>(usageTotalsTool, "bob")).input_tokens).toBe(99_999);
  });

  it("breaks down by a dimension and filters by the scope", async () => {
    const rows = await bench.run<UsageBreakdownRow[]>(usageBreakdownTool, "alice", { dimension: "feature" });
    expect(rows.map((r) => [r.key, r.calls])).toEqual([["chat", 2], ["search", 1]]);
    const chat = await bench.run<UsageBreakdownRow[]>(usageBreakdownTool, "alice", { dimension: "model", scope: { features: ["chat"] } });
    expect(chat.map((r) => r.key)).toEqual(["gpt-4o"]);
    expect(() => usageBreakdownTool.parameters.parse({ dimension: "colour" })).toThrow();
  });

  it("gives percentiles, unpriced models and the caller's corpora", async () => {
    const p = await bench.run<TokenPercentiles[]>(usagePercentilesTool, "alice", { by: "feature" });
    expect(p.find((r) => r.key === "chat")?.duration_ms?.p50).toBe(2000);
    expect(await bench.run<UnpricedModel[]>(unpricedModelsTool, "alice")).toEqual([{ model: "private-model-x", calls: 1, records: 1 }]);
    const corpora = await bench.run<CorpusSummary[]>(listCorporaTool, "alice");
    expect(corpora.map((c) => [c.corpus, c.records])).toEqual([["test", 3]]);
    expect(await bench.run<CorpusSummary[]>(listCorporaTool, "carol")).toEqual([]);
  });

  it("answers at most MAX_TOOL_ROWS rows, the largest lines first (issue 13, finding 2)", async () => {
    const many = Array.from({ length: MAX_TOOL_ROWS + 100 }, (_, i) =>
      call({ id: `m${i}`, timestamp: at(i), model: "gpt-4o", feature: `f${i}`, input_tokens: 1 + i, output_tokens: 1 }));
    await bench.insert("carol", many);
    const rows = await bench.run<UsageBreakdownRow[]>(usageBreakdownTool, "carol", { dimension: "feature" });
    expect(rows).toHaveLength(MAX_TOOL_ROWS);
    expect(rows[0]?.key).toBe(`f${MAX_TOOL_ROWS + 99}`);
    expect(await bench.run<TokenPercentiles[]>(usagePercentilesTool, "carol", { by: "feature" })).toHaveLength(MAX_TOOL_ROWS);
  });

  it("stops its queries when the call's signal aborts (issue 13, finding 11)", async () => {
    const controller = new AbortController();
    const deadline = new ApexError(ErrorCode.TOOL_TIMEOUT, "took too long");
    controller.abort(deadline);
    const context = UserExecutionContext.create({ userId: "alice", threadId: "thread-1", runId: "run-1" });
    const services: ApexServices = { usage: bench.store, prices: bench.book, llm: createOfflineProvider() };
    const totals = usageTotalsTool.execute(usageTotalsTool.parameters.parse({}), {
      context: context.child("tool:usage_totals", controller.signal),
      signal: controller.signal,
      services,
      agentName: "test",
      toolCallId: "call-1",
    });
    await expect(totals).rejects.toBe(deadline);
  });
});
