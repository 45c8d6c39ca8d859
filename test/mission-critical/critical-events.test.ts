import { describe, expect, it } from "vitest";
import { AgentName, EventType, MISSION_CRITICAL_EVENTS } from "../../src/protocol/names.ts";
import { checkRunInvariants } from "./invariants.ts";
import { expectedTotal, suiteFactory } from "./suite-pipeline.ts";

// The suite's five agents, in canonical order (the Data Guide is not among them).
const PIPELINE = [AgentName.TRIAGE, AgentName.DATA, AgentName.OPTIMIZE, AgentName.ACTIONS, AgentName.REPORT];
const REQUEST = "marker=alice-1 big-model 1200 300 mid-model 800 100 big-model 5000 20 small-model 100 10";

describe("the five-agent pipeline emits the mission-critical events", () => {
  it("every agent emits started, thinking, a tool pair and completed, in that order, and all invariants hold", async () => {
    const { factory, sink } = suiteFactory();
    const handle = factory.start({ userId: "alice", threadId: "thread-1", request: REQUEST });
    const outcome = await handle.done;
    const events = sink.events(handle.runId, "alice");

    expect(outcome.status).toBe("completed");
    expect(checkRunInvariants(events)).toEqual([]);
    expect(events.filter((e) => e.type === EventType.AGENT_STARTED).map((e) => e.agent_name)).toEqual([...PIPELINE]);
    for (const agent of PIPELINE) {
      const types = events.filter((e) => e.agent_name === agent).map((e) => e.type);
      const firstOf = MISSION_CRITICAL_EVENTS.map((type) => types.indexOf(type));
      expect(firstOf.every((i) => i >= 0), `${agent} emitted ${types.join(",")}`).toBe(true);
      expect([...firstOf].sort((a, b) => a - b)).toEqual(firstOf);
      expect(types.at(-1)).toBe(EventType.AGENT_COMPLETED);
    }
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
  });

  it("hands real results from agent to agent through the metadata store", async () => {
    const { factory, sink } = suiteFactory();
    const handle = factory.start({ userId: "alice", threadId: "thread-1", request: REQUEST });
    await handle.done;
    const events = sink.events(handle.runId, "alice");
    const report = events.find((e) => e.type === EventType.FINAL_REPORT);
    if (report?.type !== EventType.FINAL_REPORT) throw new Error("no final_report");
    const total = expectedTotal([
      { model: "big-model", input: 1200, output: 300 },
      { model: "mid-model", input: 800, output: 100 },
      { model: "big-model", input: 5000, output: 20 },
      { model: "small-model", input: 100, output: 10 },
    ]);
    expect(report.data.report.totals.cost_usd).toBeCloseTo(total, 12);
    expect(report.data.report.totals.calls).toBe(4);
    expect(report.data.report.opportunities.map((o) => o.scope.model)).toEqual(["big-model", "mid-model"]);
    // big-model: 6200 in, 320 out at 10/30 vs 0.15/0.6 per 1M tokens
    expect(report.data.report.opportunities[0]?.est_monthly_savings_usd).toBeCloseTo((6200 * 9.85 + 320 * 29.4) / 1e6, 12);
    expect(report.data.report.executive_summary).toContain("alice-1");
  });

  it("skips an agent that declares it has nothing to do, before it starts", async () => {
    const { factory, sink } = suiteFactory();
    const handle = factory.start({ userId: "bob", threadId: "thread-2", request: "marker=bob-1 no calls here" });
    const outcome = await handle.done;
    const events = sink.events(handle.runId, "bob");
    expect(checkRunInvariants(events)).toEqual([]);
    expect(outcome.agentsRun).not.toContain(AgentName.OPTIMIZE);
    expect(events.some((e) => e.agent_name === AgentName.OPTIMIZE)).toBe(false);
    expect(outcome.metrics?.agents.find((a) => a.name === AgentName.OPTIMIZE)).toMatchObject({ status: "skipped", skip_reason: "no priced calls" });
    const first = events[0];
    expect(first?.type === EventType.RUN_STARTED && first.data.pipeline).toEqual([...PIPELINE]);
  });

  it("reuses an identical tool result within a run when caching is on, still emitting the pair", async () => {
    const { checksumTool } = await import("./suite-pipeline.ts");
    const twice = {
      name: AgentName.TRIAGE,
      description: "Checks the same text twice.",
      async run({ tools }: { tools: { call: (n: string, p: Record<string, unknown>) => Promise<unknown> } }) {
        const a = await tools.call(checksumTool.name, { text: "same" });
        const b = await tools.call(checksumTool.name, { text: "same" });
        return { summary: JSON.stringify(a) === JSON.stringify(b) ? "same" : "different" };
      },
    };
    const { factory, sink } = suiteFactory({ agents: [twice] });
    const handle = factory.start({ userId: "carol", threadId: "t", request: "twice" });
    const outcome = await handle.done;
    const completed = sink.events(handle.runId, "carol").filter((e) => e.type === EventType.TOOL_COMPLETED);
    expect(completed).toHaveLength(2);
    expect(completed.map((e) => e.type === EventType.TOOL_COMPLETED && e.data.cached)).toEqual([undefined, true]);
    expect(outcome.metrics?.tools.checksum).toMatchObject({ calls: 2, cached: 1, failures: 0 });
  });
});
