import { describe, expect, it } from "vitest";
import { ApexError } from "../../src/protocol/errors.ts";
import { AgentName, ErrorCode } from "../../src/protocol/names.ts";
import { scriptedAgent } from "./scripted-agents.ts";
import { suiteFactory } from "./suite-pipeline.ts";

const slow = () => [scriptedAgent({ name: AgentName.TRIAGE, steps: [{ mode: "ok", catchError: false, delayMs: 40 }] })];

describe("the factory's per-user run limit and cleanup", () => {
  it("refuses a third concurrent run of one user with too_many_runs, but not another user's run", async () => {
    const { factory } = suiteFactory({ agents: slow() });
    const a = factory.start({ userId: "ann", threadId: "t1", request: "one" });
    const b = factory.start({ userId: "ann", threadId: "t1", request: "two" });
    let refused: unknown;
    try {
      factory.start({ userId: "ann", threadId: "t1", request: "three" });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ApexError);
    expect((refused as ApexError).code).toBe(ErrorCode.TOO_MANY_RUNS);
    expect((refused as ApexError).message).toMatch(/limit is 2/);
    const other = factory.start({ userId: "ben", threadId: "t2", request: "mine" });
    await Promise.all([a.done, b.done, other.done]);
    expect(factory.activeRuns("ann")).toEqual([]);
    // the slots are free again once the runs end
    await factory.start({ userId: "ann", threadId: "t1", request: "four" }).done;
  });

  it("frees the slot when a run fails or is cancelled", async () => {
    const { factory } = suiteFactory({
      agents: [scriptedAgent({ name: AgentName.TRIAGE, steps: [{ mode: "hang", catchError: false, delayMs: 0 }] })],
      maxConcurrentRunsPerUser: 1,
      config: { toolTimeoutMs: 5_000 },
    });
    const run = factory.start({ userId: "cat", threadId: "t", request: "hang" });
    expect(() => factory.start({ userId: "cat", threadId: "t", request: "again" })).toThrow(ApexError);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(factory.cancel(run.runId, "cat")).toBe(true);
    expect((await run.done).status).toBe("cancelled");
    expect(factory.activeRuns("cat")).toEqual([]);
    // the slot is free again: a new run starts
    const next = factory.start({ userId: "cat", threadId: "t", request: "again" });
    factory.cancel(next.runId, "cat");
    await next.done;

    const failing = suiteFactory({
      agents: [scriptedAgent({ name: AgentName.TRIAGE, steps: [], failAtEnd: true })],
      maxConcurrentRunsPerUser: 1,
    }).factory;
    expect((await failing.start({ userId: "cat", threadId: "t", request: "fails" }).done).status).toBe("failed");
    expect(failing.activeRuns("cat")).toEqual([]);
    expect((await failing.start({ userId: "cat", threadId: "t", request: "fails again" }).done).status).toBe("failed");
  });

  it("rejects empty and oversized requests and placeholder ids with clear errors", () => {
    const { factory } = suiteFactory({ agents: slow() });
    expect(() => factory.start({ userId: "dan", threadId: "t", request: "   " })).toThrow(/empty/);
    expect(() => factory.start({ userId: "dan", threadId: "t", request: "x".repeat(20_001) })).toThrow(/under 20000/);
    expect(() => factory.start({ userId: "undefined", threadId: "t", request: "hi" })).toThrow(/placeholder/);
    expect(factory.activeRuns("dan")).toEqual([]);
  });

  it("refuses a pipeline naming an agent that is not registered", () => {
    expect(() => suiteFactory({ agents: slow(), pipeline: [AgentName.TRIAGE, AgentName.DATA] })).toThrow(/not registered: data/);
  });
});
