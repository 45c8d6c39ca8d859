// An agent that asks its user a question (`awaiting_input`) and acts on the answer: the event lies inside the agent's
// span, the agent's timeout stops while the user thinks, an unanswered question gives the agent null, and a cancel
// while waiting ends the run as cancelled. The answers go through the real in-memory broker, as `respond` does.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { RunEvent } from "../../src/protocol/events.ts";
import { AgentName, Decision, ErrorCode, EventType, InterruptKind } from "../../src/protocol/names.ts";
import type { Agent } from "../../src/runtime/agent.ts";
import { ExecutionEngineFactory } from "../../src/runtime/engine-factory.ts";
import { MemoryEventSink } from "../../src/runtime/event-sink.ts";
import { MemoryInterruptBroker, type Answer } from "../../src/runtime/interrupts.ts";
import { Registry } from "../../src/runtime/registry.ts";
import { defineTool, type AnyTool } from "../../src/runtime/tool.ts";
import { checkRunInvariants } from "./invariants.ts";

const USER = "user-asked";
const OPTIONS = [Decision.APPROVE, Decision.MODIFY, Decision.DECLINE];

const countTool = defineTool({
  name: "count_records",
  description: "Counts the records a job would make.",
  parameters: z.object({ records: z.number().int().positive() }),
  execute: async ({ records }) => ({ records, batches: Math.ceil(records / 1000) }),
});

/** Asks before a large job; runs it with the size the user chose, or not at all. */
function askingAgent(expiresInMs: number): Agent<undefined> {
  return {
    name: AgentName.TRIAGE,
    description: "Plans a synthetic data job and asks before running a large one.",
    async run({ ask, tools, think }) {
      const answer = await ask({ kind: InterruptKind.APPROVAL, prompt: "Generate 200,000 records?", options: OPTIONS, expiresInMs });
      if (answer === null) return { summary: "No answer came; nothing was generated." };
      if (answer.decision === Decision.DECLINE) return { summary: "Declined; nothing was generated." };
      const records = answer.decision === Decision.MODIFY ? Number(answer.payload?.records) : 200_000;
      const { batches } = await tools.call<{ batches: number }>("count_records", { records });
      await think(`Generating ${records} records in ${batches} batches.`);
      return { summary: `generated ${records}` };
    },
  };
}

function setup(agentTimeoutMs: number, expiresInMs: number) {
  const sink = new MemoryEventSink();
  const interrupts = new MemoryInterruptBroker();
  const agents = new Registry<Agent<undefined>>("agent").register(AgentName.TRIAGE, askingAgent(expiresInMs));
  const tools = new Registry<AnyTool<undefined>>("tool").register(countTool.name, countTool);
  const factory = new ExecutionEngineFactory<undefined>({
    agents,
    tools,
    sink,
    services: undefined,
    interrupts,
    pipeline: [AgentName.TRIAGE],
    config: { agentTimeoutMs },
  });
  return { sink, interrupts, factory };
}

/** Starts a run and calls `onAsked` with the interrupt id when its awaiting_input is stored. */
function startAsked(parts: ReturnType<typeof setup>, onAsked: (interruptId: string, runId: string) => void) {
  parts.sink.subscribe(USER, (event: RunEvent) => {
    if (event.type === EventType.AWAITING_INPUT) onAsked(event.data.interrupt_id, event.run_id);
  });
  const handle = parts.factory.start({ userId: USER, threadId: "thread-asked", request: "make me a support-chat dataset" });
  return { handle, events: () => parts.sink.events(handle.runId, USER) };
}

const answerLater = (parts: ReturnType<typeof setup>, answer: Answer, afterMs: number) => (id: string) =>
  setTimeout(() => void parts.interrupts.answer(USER, id, answer), afterMs);

describe("an agent asks its user", () => {
  it("waits past its own timeout for the answer, then acts on a modified job", async () => {
    const parts = setup(100, 60_000);
    const { handle, events } = startAsked(parts, answerLater(parts, { decision: Decision.MODIFY, payload: { records: 5000 } }, 300));
    const outcome = await handle.done;
    expect(outcome.status).toBe("completed");
    expect(checkRunInvariants(events())).toEqual([]);
    const types = events().map((e) => e.type);
    const askedAt = types.indexOf(EventType.AWAITING_INPUT);
    expect(askedAt).toBeGreaterThan(types.indexOf(EventType.AGENT_STARTED));
    expect(askedAt).toBeLessThan(types.indexOf(EventType.TOOL_EXECUTING));
    expect(events().find((e) => e.type === EventType.AGENT_COMPLETED)?.data).toMatchObject({ summary: "generated 5000" });
  });

  it("gives the agent null when the question expires unanswered", async () => {
    const parts = setup(5_000, 50);
    const { handle, events } = startAsked(parts, () => undefined);
    expect((await handle.done).status).toBe("completed");
    expect(checkRunInvariants(events())).toEqual([]);
    expect(events().find((e) => e.type === EventType.AGENT_COMPLETED)?.data).toMatchObject({ summary: "No answer came; nothing was generated." });
  });

  it("ends as cancelled when the run is cancelled while it waits", async () => {
    const parts = setup(5_000, 60_000);
    const { handle, events } = startAsked(parts, (_id, runId) => setTimeout(() => parts.factory.cancel(runId, USER), 20));
    expect((await handle.done).status).toBe("cancelled");
    expect(checkRunInvariants(events())).toEqual([]);
    expect(events().at(-1)?.type).toBe(EventType.RUN_CANCELLED);
  });

  it("fails the agent with input_unavailable when the run has no broker to wait on", async () => {
    const sink = new MemoryEventSink();
    const factory = new ExecutionEngineFactory<undefined>({
      agents: new Registry<Agent<undefined>>("agent").register(AgentName.TRIAGE, askingAgent(1000)),
      tools: new Registry<AnyTool<undefined>>("tool").register(countTool.name, countTool),
      sink,
      services: undefined,
      pipeline: [AgentName.TRIAGE],
    });
    const handle = factory.start({ userId: USER, threadId: "thread-asked", request: "make data" });
    const outcome = await handle.done;
    expect(outcome.status).toBe("failed");
    expect(outcome.error?.code).toBe(ErrorCode.INPUT_UNAVAILABLE);
    expect(checkRunInvariants(sink.events(handle.runId, USER))).toEqual([]);
  });
});
