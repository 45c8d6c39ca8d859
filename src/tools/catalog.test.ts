import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateWorkload } from "../analytics/generator/workload.ts";
import type { UsageTotals } from "../analytics/store.ts";
import { ErrorCode, EventType, OpportunityKind, ToolName } from "../protocol/names.ts";
import { UserExecutionContext } from "../runtime/context.ts";
import { RunEmitter } from "../runtime/emitter.ts";
import { MemoryEventSink } from "../runtime/event-sink.ts";
import { Registry } from "../runtime/registry.ts";
import type { AnyTool } from "../runtime/tool.ts";
import { ToolDispatcher } from "../runtime/tool-dispatcher.ts";
import { createOfflineProvider } from "../llm/offline.ts";
import { ANALYSIS_TOOLS, APEX_TOOLS, registerApexTools } from "./catalog.ts";
import type { AnalysisResult } from "./opportunity.ts";
import type { ApexServices } from "./services.ts";
import { openToolTestBench, type ToolTestBench } from "./tool-test-bench.ts";

// The catalog: one tool per ToolName, all registered once; through the real dispatcher each call emits its event
// pair, and a second owner's rows stay invisible to every tool.

describe("tool catalog", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    const workload = generateWorkload({ scenario: "saas", records: 8000, days: 7, seed: 5, price: (r) => bench.book.price(r).computed_cost_usd });
    await bench.insert("bob", [...workload.records()]);
  }, 60_000);
  afterAll(async () => bench?.close());

  it("registers exactly the tools of ToolName, each under its own name", () => {
    const registry = registerApexTools(new Registry<AnyTool<ApexServices>>("tool"));
    expect(registry.keys().sort()).toEqual(Object.values(ToolName).sort());
    expect(APEX_TOOLS.map((t) => t.name)).toEqual(Object.values(ToolName));
    expect(() => registerApexTools(registry)).toThrow();
  });

  it("finds Bob's planted waste for Bob and nothing of it for Alice, whatever the tool", async () => {
    const kinds = new Set<string>();
    for (const tool of ANALYSIS_TOOLS) {
      for (const o of (await bench.run<AnalysisResult>(tool, "bob")).opportunities) kinds.add(o.kind);
      expect(await bench.run<AnalysisResult>(tool, "alice")).toEqual({ opportunities: [] });
    }
    expect(kinds.size).toBeGreaterThanOrEqual(Object.values(OpportunityKind).length - 1);
    expect((await bench.run<UsageTotals>(APEX_TOOLS[0] as AnyTool<ApexServices>, "alice")).records).toBe(0);
  });

  it("runs through the dispatcher: parameters validated, tool_executing then tool_completed on every call", async () => {
    const context = UserExecutionContext.create({ userId: "bob", threadId: "t1", runId: "r-catalog" });
    const sink = new MemoryEventSink();
    const dispatcher = new ToolDispatcher<ApexServices>({
      context,
      tools: registerApexTools(new Registry<AnyTool<ApexServices>>("tool")).freeze(),
      emitter: new RunEmitter(context, sink),
      services: { usage: bench.store, prices: bench.book, llm: createOfflineProvider() },
      defaultTimeoutMs: 30_000,
      caching: false,
    });
    const session = dispatcher.open("optimize");
    const found = await session.call<AnalysisResult>(ToolName.FIND_BATCH_API, { scope: { features: ["nightly_digest"] } });
    expect(found.opportunities.map((o) => o.scope.feature)).toEqual(["nightly_digest"]);
    await expect(session.call(ToolName.USAGE_BREAKDOWN, { dimension: "colour" })).rejects.toMatchObject({ code: ErrorCode.INVALID_PARAMETERS });
    await session.close();
    const types = sink.events("r-catalog", "bob").map((e) => e.type);
    expect(types).toEqual([EventType.TOOL_EXECUTING, EventType.TOOL_COMPLETED, EventType.TOOL_EXECUTING, EventType.TOOL_COMPLETED]);
  });
});
