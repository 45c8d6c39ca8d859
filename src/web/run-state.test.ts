import { describe, expect, it } from "vitest";
import { RunEventSchema, type RunEvent } from "../protocol/events.ts";
import { AgentName, CancelledBy, Decision, ErrorCode, EventType, InterruptKind, PROTOCOL_VERSION, ToolName } from "../protocol/names.ts";
import { applyEvent, applyEvents, emptyRun, queueLabel, questionState, withDecision, withQueuePosition } from "./run-state.ts";

const RUN = "run-1";
let next = 0;

/** A schema-valid event of the run; the envelope is filled in. */
function event(seq: number, type: RunEvent["type"], data: Record<string, unknown>, agent?: string, ts = "2026-01-01T00:00:00.000Z"): RunEvent {
  next += 1;
  return RunEventSchema.parse({
    v: PROTOCOL_VERSION,
    type,
    event_id: `0190a0a0-0000-7000-8000-${String(next).padStart(12, "0")}`,
    run_id: RUN,
    thread_id: "thread-1",
    seq,
    ts,
    ...(agent === undefined ? {} : { agent_name: agent }),
    data,
  });
}

const started = event(1, EventType.RUN_STARTED, { pipeline: [AgentName.TRIAGE, AgentName.DATA, AgentName.REPORT], request: "Where can I cut costs?" });
const triage = event(2, EventType.AGENT_STARTED, { agent_name: AgentName.TRIAGE, step: 1, total_steps: 3 }, AgentName.TRIAGE);
const thinking = event(3, EventType.AGENT_THINKING, { agent_name: AgentName.TRIAGE, thought: "Reading the request", step_number: 1, total_steps: 3 }, AgentName.TRIAGE);
const tool = { agent_name: AgentName.TRIAGE, tool_name: ToolName.USAGE_TOTALS, tool_call_id: "t1" };
const executing = event(4, EventType.TOOL_EXECUTING, { ...tool, parameters: {} }, AgentName.TRIAGE);
const completed = event(5, EventType.TOOL_COMPLETED, { ...tool, ok: true, duration_ms: 12 }, AgentName.TRIAGE);
const triageDone = event(6, EventType.AGENT_COMPLETED, { agent_name: AgentName.TRIAGE, status: "completed", duration_ms: 40, summary: "ok" }, AgentName.TRIAGE);

describe("the run state reducer", () => {
  it("follows the pipeline: current agent, thought, tool chips, durations", () => {
    const { run, gap } = applyEvents(emptyRun(RUN), [started, triage, thinking, executing]);
    expect(gap).toBe(false);
    expect(run.steps.map((s) => [s.agent, s.state])).toEqual([
      [AgentName.TRIAGE, "running"],
      [AgentName.DATA, "pending"],
      [AgentName.REPORT, "pending"],
    ]);
    expect(run.currentAgent).toBe(AgentName.TRIAGE);
    expect(run.thought).toBe("Reading the request");
    expect(run.tools).toEqual([{ id: "t1", agent: AgentName.TRIAGE, tool: ToolName.USAGE_TOTALS, state: "running", durationMs: null, error: null }]);

    const done = applyEvents(run, [completed, triageDone]).run;
    expect(done.tools[0]).toMatchObject({ state: "done", durationMs: 12 });
    expect(done.steps[0]).toMatchObject({ state: "done", durationMs: 40, summary: "ok" });
    expect(done.currentAgent).toBeNull();
    expect(done.lastSeq).toBe(6);
  });

  it("shows an agent the run went past as skipped at once, and leaves the ones still ahead pending", () => {
    const pipeline = [AgentName.TRIAGE, AgentName.SYNTHETIC_DATA, AgentName.CORPUS_ADMIN, AgentName.DATA, AgentName.REPORT];
    const announced = event(1, EventType.RUN_STARTED, { pipeline, request: "Where can I cut costs?" });
    const data = event(7, EventType.AGENT_STARTED, { agent_name: AgentName.DATA, step: 4, total_steps: 5 }, AgentName.DATA);
    const { run } = applyEvents(emptyRun(RUN), [announced, triage, thinking, executing, completed, triageDone, data]);
    expect(run.steps.map((s) => [s.agent, s.state])).toEqual([
      [AgentName.TRIAGE, "done"],
      [AgentName.SYNTHETIC_DATA, "skipped"],
      [AgentName.CORPUS_ADMIN, "skipped"],
      [AgentName.DATA, "running"],
      [AgentName.REPORT, "pending"],
    ]);
  });

  it("ignores duplicates and replays, returning the same view", () => {
    const { run } = applyEvents(emptyRun(RUN), [started, triage, thinking]);
    for (const old of [started, triage, thinking]) {
      const again = applyEvent(run, old);
      expect(again.outcome).toBe("duplicate");
      expect(again.run).toBe(run);
    }
    const replayed = applyEvents(run, [started, triage, thinking, executing]).run;
    expect(replayed.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it("detects a gap and applies nothing past it until the missing events come", () => {
    const { run } = applyEvents(emptyRun(RUN), [started, triage]);
    const skipped = applyEvent(run, executing);
    expect(skipped.outcome).toBe("gap");
    expect(skipped.run).toBe(run);
    expect(applyEvents(run, [executing, completed]).gap).toBe(true);
    expect(applyEvents(run, [thinking, executing, completed]).run.lastSeq).toBe(5);
  });

  it("ignores another run's events", () => {
    expect(applyEvent(emptyRun("other"), started).outcome).toBe("duplicate");
  });

  it("shows errors in place and marks the agents that never ran as skipped", () => {
    const failedTool = event(5, EventType.TOOL_COMPLETED, { ...tool, ok: false, duration_ms: 3, error: { code: ErrorCode.TOOL_TIMEOUT, message: "too slow" } }, AgentName.TRIAGE);
    const agentError = event(6, EventType.AGENT_ERROR, { agent_name: AgentName.TRIAGE, error: { code: ErrorCode.AGENT_FAILED, message: "broke" }, recoverable: false }, AgentName.TRIAGE);
    const failed = event(7, EventType.RUN_FAILED, { error: { code: ErrorCode.AGENT_FAILED, message: "The run failed; try again." } });
    const { run } = applyEvents(emptyRun(RUN), [started, triage, thinking, executing, failedTool, agentError, failed]);
    expect(run.status).toBe("failed");
    expect(run.tools[0]).toMatchObject({ state: "failed", error: { code: ErrorCode.TOOL_TIMEOUT } });
    expect(run.steps.map((s) => s.state)).toEqual(["failed", "skipped", "skipped"]);
    expect(run.problems.map((p) => [p.agent, p.error.message])).toEqual([
      [AgentName.TRIAGE, "broke"],
      [null, "The run failed; try again."],
    ]);
  });

  it("ends a cancelled run at the agent it was in", () => {
    const cancelled = event(4, EventType.RUN_CANCELLED, { by: CancelledBy.USER, at_agent: AgentName.TRIAGE });
    const { run } = applyEvents(emptyRun(RUN), [started, triage, thinking, cancelled]);
    expect(run.status).toBe("cancelled");
    expect(run.cancelledAt).toBe(AgentName.TRIAGE);
    expect(run.steps.map((s) => s.state)).toEqual(["failed", "skipped", "skipped"]);
  });
});

describe("a run waiting its turn in the server's queue", () => {
  it("shows its place from the ack, then each run_queued, until run_started", () => {
    let run = withQueuePosition(emptyRun(RUN), 13);
    expect(run.queuePosition).toBe(13);
    expect(queueLabel(13)).toBe("Queued — 12 analyses ahead of you");
    run = withQueuePosition(run, 2);
    expect(queueLabel(run.queuePosition ?? 0)).toBe("Queued — 1 analysis ahead of you");
    run = withQueuePosition(run, 1);
    expect(queueLabel(run.queuePosition ?? 0)).toBe("Queued — you are next");
    run = applyEvent(run, started).run;
    expect(run.queuePosition).toBeNull();
    expect(run.request).toBe("Where can I cut costs?");
  });

  it("ignores a place that arrives after the run started, and a run that never waited", () => {
    const running = applyEvent(emptyRun(RUN), started).run;
    expect(withQueuePosition(running, 4)).toBe(running);
    expect(withQueuePosition(emptyRun(RUN), 0).queuePosition).toBeNull();
  });
});

describe("a question the run asks (awaiting_input)", () => {
  const ASKED_AT = "2026-01-01T00:00:00.000Z";
  const EXPIRES_AT = "2026-01-01T00:10:00.000Z";
  const before = Date.parse("2026-01-01T00:05:00.000Z");
  const after = Date.parse("2026-01-01T00:15:00.000Z");
  const generate = [AgentName.TRIAGE, AgentName.SYNTHETIC_DATA];
  const start = event(1, EventType.RUN_STARTED, { pipeline: generate, request: "generate 200000 records" });
  const agent = event(2, EventType.AGENT_STARTED, { agent_name: AgentName.SYNTHETIC_DATA, step: 2, total_steps: 2 }, AgentName.SYNTHETIC_DATA);
  const options = [Decision.APPROVE, Decision.MODIFY, Decision.DECLINE];
  const asked = event(
    3,
    EventType.AWAITING_INPUT,
    { interrupt_id: "q1", kind: InterruptKind.APPROVAL, prompt: "Generate 200,000 records?", options, expires_at: EXPIRES_AT },
    AgentName.SYNTHETIC_DATA,
    ASKED_AT,
  );
  const thought = (ts: string) =>
    event(4, EventType.AGENT_THINKING, { agent_name: AgentName.SYNTHETIC_DATA, thought: "Generating", step_number: 2, total_steps: 2 }, AgentName.SYNTHETIC_DATA, ts);

  it("keeps the open question with its options, agent and deadline", () => {
    const { run } = applyEvents(emptyRun(RUN), [start, agent, asked]);
    expect(run.question).toEqual({
      interruptId: "q1",
      kind: InterruptKind.APPROVAL,
      agent: AgentName.SYNTHETIC_DATA,
      prompt: "Generate 200,000 records?",
      options,
      expiresAt: EXPIRES_AT,
      closedAt: null,
      decision: null,
    });
    expect(questionState(run.question!, before)).toBe("open");
    expect(questionState(run.question!, after)).toBe("expired");
  });

  it("shows a question the run went on from before its deadline as answered, after it as expired, whenever it is replayed", () => {
    const answered = applyEvents(emptyRun(RUN), [start, agent, asked, thought("2026-01-01T00:01:00.000Z")]).run;
    expect(answered.question?.closedAt).toBe("2026-01-01T00:01:00.000Z");
    expect(questionState(answered.question!, after)).toBe("answered");
    const expired = applyEvents(emptyRun(RUN), [start, agent, asked, thought("2026-01-01T00:10:00.500Z")]).run;
    expect(questionState(expired.question!, before)).toBe("expired");
    // the run's end closes it too; a later event does not move the moment it closed
    const ended = applyEvents(answered, [event(5, EventType.RUN_COMPLETED, { duration_ms: 5, agents_run: generate }, undefined, "2026-01-01T00:20:00.000Z")]).run;
    expect(ended.question?.closedAt).toBe("2026-01-01T00:01:00.000Z");
  });

  it("records the decision sent from this page only for the question it answers", () => {
    const { run } = applyEvents(emptyRun(RUN), [start, agent, asked]);
    const decided = withDecision(run, "q1", Decision.MODIFY);
    expect(decided.question?.decision).toBe(Decision.MODIFY);
    expect(questionState(decided.question!, after)).toBe("answered");
    expect(withDecision(run, "other", Decision.APPROVE)).toBe(run);
    // the events that follow keep the decision
    expect(applyEvent(decided, thought("2026-01-01T00:01:00.000Z")).run.question?.decision).toBe(Decision.MODIFY);
  });

  it("has no question when none was asked", () => {
    expect(applyEvents(emptyRun(RUN), [start, agent]).run.question).toBeNull();
  });
});
