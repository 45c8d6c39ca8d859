import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/protocol/events.ts";
import { AgentName, CancelledBy, ErrorCode, EventType } from "../../src/protocol/names.ts";
import { checkRunInvariants } from "./invariants.ts";
import { okStep, scriptedAgent, type AgentScript } from "./scripted-agents.ts";
import { suiteFactory } from "./suite-pipeline.ts";

const USER = "user-failures";

async function runScripts(scripts: AgentScript[], config = {}) {
  const { factory, sink } = suiteFactory({ agents: scripts.map(scriptedAgent), config });
  const handle = factory.start({ userId: USER, threadId: "thread-f", request: "check these" });
  const outcome = await handle.done;
  const events = sink.events(handle.runId, USER);
  return { outcome, events, factory, handle };
}

const ofType = <T extends RunEvent["type"]>(events: readonly RunEvent[], type: T) =>
  events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);

describe("failure paths still produce well-formed streams", () => {
  it("a tool error is reported in its tool_completed; an agent that catches it completes", async () => {
    const { outcome, events } = await runScripts([
      { name: AgentName.TRIAGE, steps: [{ mode: "throw", catchError: true, delayMs: 0 }, okStep()] },
      { name: AgentName.DATA, steps: [okStep()] },
    ]);
    expect(checkRunInvariants(events)).toEqual([]);
    expect(outcome.status).toBe("completed");
    const [failed, ok] = ofType(events, EventType.TOOL_COMPLETED);
    expect(failed?.data).toMatchObject({ ok: false, error: { code: ErrorCode.TOOL_FAILED } });
    expect(failed?.data.error?.message).toContain("checksum refused");
    expect(ok?.data.ok).toBe(true);
  });

  it("an uncaught tool error fails the agent (agent_error) and the run (run_failed)", async () => {
    const { outcome, events } = await runScripts([
      { name: AgentName.TRIAGE, steps: [okStep()] },
      { name: AgentName.DATA, steps: [{ mode: "throw", catchError: false, delayMs: 0 }] },
      { name: AgentName.OPTIMIZE, steps: [okStep()] },
    ]);
    expect(checkRunInvariants(events)).toEqual([]);
    expect(outcome.status).toBe("failed");
    expect(ofType(events, EventType.AGENT_ERROR)[0]?.data).toMatchObject({ agent_name: AgentName.DATA, recoverable: false });
    expect(ofType(events, EventType.RUN_FAILED)[0]?.data.error.code).toBe(ErrorCode.TOOL_FAILED);
    expect(events.some((e) => e.agent_name === AgentName.OPTIMIZE)).toBe(false);
  });

  it("a tool that hangs past its timeout completes with tool_timeout, even one that ignores its signal", async () => {
    for (const mode of ["hang", "deaf"] as const) {
      const { outcome, events } = await runScripts([{ name: AgentName.TRIAGE, steps: [{ mode, catchError: true, delayMs: 0 }] }]);
      expect(checkRunInvariants(events)).toEqual([]);
      expect(outcome.status).toBe("completed");
      const completed = ofType(events, EventType.TOOL_COMPLETED)[0];
      expect(completed?.data.error?.code).toBe(ErrorCode.TOOL_TIMEOUT);
      expect(completed?.data.duration_ms).toBeGreaterThanOrEqual(190);
    }
  });

  it("an agent that throws gets agent_error; an optional one lets the pipeline go on", async () => {
    const { outcome, events } = await runScripts([
      { name: AgentName.TRIAGE, steps: [okStep()] },
      { name: AgentName.DATA, steps: [okStep()], failAtEnd: true, required: false },
      { name: AgentName.OPTIMIZE, steps: [okStep()] },
    ]);
    expect(checkRunInvariants(events)).toEqual([]);
    expect(outcome.status).toBe("completed");
    expect(outcome.agentsRun).toEqual([AgentName.TRIAGE, AgentName.DATA, AgentName.OPTIMIZE]);
    const error = ofType(events, EventType.AGENT_ERROR)[0];
    expect(error?.data).toMatchObject({ agent_name: AgentName.DATA, recoverable: true, error: { code: ErrorCode.AGENT_FAILED } });
    expect(error?.data.error.message).toContain("gave up after 1 steps");
  });

  it("an agent past its timeout is stopped, its tools closed, and the run fails with agent_timeout", async () => {
    const { outcome, events } = await runScripts(
      [{ name: AgentName.TRIAGE, steps: [okStep()], busyMs: 5_000 }, { name: AgentName.DATA, steps: [okStep()] }],
      { agentTimeoutMs: 100 },
    );
    expect(checkRunInvariants(events)).toEqual([]);
    expect(outcome.status).toBe("failed");
    expect(ofType(events, EventType.RUN_FAILED)[0]?.data.error.code).toBe(ErrorCode.AGENT_TIMEOUT);
  });

  it("retries an agent whose error is retryable, inside the same agent span", async () => {
    let attempts = 0;
    const flaky = {
      name: AgentName.TRIAGE,
      description: "Fails with a timeout the first time.",
      async run() {
        attempts += 1;
        if (attempts === 1) {
          const { ApexError } = await import("../../src/protocol/errors.ts");
          throw new ApexError(ErrorCode.LLM_UNAVAILABLE, "model busy", { retryable: true });
        }
        return { summary: `done on attempt ${attempts}` };
      },
    };
    const { factory, sink } = suiteFactory({ agents: [flaky], config: { retries: 2 } });
    const handle = factory.start({ userId: USER, threadId: "t", request: "retry me" });
    const outcome = await handle.done;
    const events = sink.events(handle.runId, USER);
    expect(checkRunInvariants(events)).toEqual([]);
    expect(outcome.status).toBe("completed");
    expect(ofType(events, EventType.AGENT_STARTED)).toHaveLength(1);
    expect(ofType(events, EventType.AGENT_THINKING).map((e) => e.data.thought).join(" ")).toContain("trying again (2 of 3)");
    expect(ofType(events, EventType.AGENT_COMPLETED)[0]?.data.summary).toBe("done on attempt 2");
  });

  it("cancel mid-tool: the tool sees the abort, its pair closes as cancelled, the run ends with run_cancelled", async () => {
    const { factory, sink } = suiteFactory({
      agents: [
        scriptedAgent({ name: AgentName.TRIAGE, steps: [okStep()] }),
        scriptedAgent({ name: AgentName.DATA, steps: [{ mode: "hang", catchError: false, delayMs: 0 }] }),
        scriptedAgent({ name: AgentName.OPTIMIZE, steps: [okStep()] }),
      ],
      config: { toolTimeoutMs: 10_000 },
    });
    const handle = factory.start({ userId: USER, threadId: "t", request: "cancel me" });
    const unsubscribe = sink.subscribe(USER, (event) => {
      if (event.type === EventType.TOOL_EXECUTING && event.agent_name === AgentName.DATA) factory.cancel(handle.runId, USER);
    });
    const outcome = await handle.done;
    unsubscribe();
    const events = sink.events(handle.runId, USER);
    expect(checkRunInvariants(events)).toEqual([]);
    expect(outcome.status).toBe("cancelled");
    const toolEnd = ofType(events, EventType.TOOL_COMPLETED).find((e) => e.agent_name === AgentName.DATA);
    expect(toolEnd?.data.error?.code).toBe(ErrorCode.CANCELLED);
    expect(ofType(events, EventType.AGENT_ERROR)[0]?.data.error.code).toBe(ErrorCode.CANCELLED);
    expect(events.at(-1)).toMatchObject({ type: EventType.RUN_CANCELLED, data: { by: CancelledBy.USER, at_agent: AgentName.DATA } });
    expect(events.some((e) => e.agent_name === AgentName.OPTIMIZE)).toBe(false);
  });

  it("only the owner can cancel a run", async () => {
    const { factory } = suiteFactory({
      agents: [scriptedAgent({ name: AgentName.TRIAGE, steps: [{ mode: "ok", catchError: false, delayMs: 50 }] })],
    });
    const handle = factory.start({ userId: USER, threadId: "t", request: "mine" });
    expect(factory.cancel(handle.runId, "someone-else")).toBe(false);
    expect((await handle.done).status).toBe("completed");
  });

  it("writing a value that is not JSON to metadata fails the agent loudly, naming the key and the path", async () => {
    const { outcome, events } = await runScripts([{ name: AgentName.TRIAGE, steps: [okStep()], writeNonJson: true }]);
    expect(checkRunInvariants(events)).toEqual([]);
    expect(outcome.status).toBe("failed");
    const error = ofType(events, EventType.AGENT_ERROR)[0]?.data.error;
    expect(error?.code).toBe(ErrorCode.NOT_SERIALIZABLE);
    expect(error?.message).toContain('metadata key "callback"');
    expect(error?.message).toContain("$.onDone");
  });

  it("an unknown tool, bad parameters and a forbidden tool each get a pair with their own code", async () => {
    const { z } = await import("zod");
    const { defineTool } = await import("../../src/runtime/tool.ts");
    const { Role } = await import("../../src/protocol/names.ts");
    const adminOnly = defineTool({
      name: "admin_only",
      description: "Needs the admin role.",
      parameters: z.object({}),
      roles: [Role.ADMIN],
      execute: () => ({ secret: 42 }),
    });
    const prober = {
      name: AgentName.TRIAGE,
      description: "Calls tools it should not.",
      async run({ tools }: { tools: { call: (n: string, p: Record<string, unknown>) => Promise<unknown> } }) {
        const codes: string[] = [];
        for (const [name, params] of [["nope", {}], ["checksum", { text: 7 }], [adminOnly.name, {}]] as const) {
          await tools.call(name, params).catch((e: { code: string }) => codes.push(e.code));
        }
        return { summary: codes.join(",") };
      },
    };
    const { Registry } = await import("../../src/runtime/registry.ts");
    const { ExecutionEngineFactory } = await import("../../src/runtime/engine-factory.ts");
    const { MemoryEventSink } = await import("../../src/runtime/event-sink.ts");
    const { SUITE_TOOLS } = await import("./suite-pipeline.ts");
    const tools = new Registry<import("../../src/runtime/tool.ts").AnyTool<undefined>>("tool");
    for (const tool of [...SUITE_TOOLS, adminOnly]) tools.register(tool.name, tool);
    const agents = new Registry<import("../../src/runtime/agent.ts").Agent<undefined>>("agent").register(prober.name, prober);
    const sink = new MemoryEventSink();
    const factory = new ExecutionEngineFactory({ agents, tools, sink, services: undefined, pipeline: [prober.name] });
    const handle = factory.start({ userId: USER, threadId: "t", request: "probe" });
    await handle.done;
    const events = sink.events(handle.runId, USER);
    expect(checkRunInvariants(events)).toEqual([]);
    expect(ofType(events, EventType.TOOL_COMPLETED).map((e) => e.data.error?.code)).toEqual([
      ErrorCode.TOOL_NOT_FOUND,
      ErrorCode.INVALID_PARAMETERS,
      ErrorCode.FORBIDDEN,
    ]);
    expect(ofType(events, EventType.AGENT_COMPLETED)[0]?.data.summary).toBe(
      [ErrorCode.TOOL_NOT_FOUND, ErrorCode.INVALID_PARAMETERS, ErrorCode.FORBIDDEN].join(","),
    );
  });
});
