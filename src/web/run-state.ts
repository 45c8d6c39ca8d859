import type { RunEvent, WireError } from "../protocol/events.ts";
import { EventType, PIPELINE, TERMINAL_EVENTS } from "../protocol/names.ts";
import type { Report } from "../protocol/report.ts";

// A run as the UI shows it, built only from its protocol events. The reducer applies each `seq` once and in order:
// an event at or below the last applied seq is a duplicate or a replay (ignored); one past the next is a gap, which the
// caller repairs by resubscribing with `after_seq = lastSeq`.

export type StepState = "pending" | "running" | "done" | "failed" | "skipped";
export type ToolState = "running" | "done" | "failed";
export type RunStatus = "running" | "completed" | "failed" | "cancelled";

export interface AgentStep {
  agent: string;
  state: StepState;
  durationMs: number | null;
  summary: string | null;
}

export interface ToolCall {
  id: string;
  agent: string;
  tool: string;
  state: ToolState;
  durationMs: number | null;
  error: WireError | null;
}

export interface RunProblem {
  agent: string | null;
  error: WireError;
}

/** An agent's `awaiting_input` question, kept from the events so a reconnect or an old thread shows it as it was. */
export interface RunQuestion {
  interruptId: string;
  kind: string;
  agent: string | null;
  prompt: string;
  options: string[];
  expiresAt: string;
  /** The ts of the first event after the question: the run moved on (answered, expired or ended). Null while open. */
  closedAt: string | null;
  /** The decision sent from this page; the events do not carry it, so an old thread shows only that it was answered. */
  decision: string | null;
}

export type QuestionState = "open" | "answered" | "expired";

export interface RunView {
  runId: string;
  threadId: string | null;
  /** The highest seq applied; 0 before the first event. */
  lastSeq: number;
  request: string;
  status: RunStatus;
  steps: AgentStep[];
  currentAgent: string | null;
  thought: string | null;
  tools: ToolCall[];
  problems: RunProblem[];
  partial: string;
  report: Report | null;
  durationMs: number | null;
  cancelledAt: string | null;
  /** The latest question asked in the run, open or not; null when none was asked. */
  question: RunQuestion | null;
  /** Every applied event, in seq order: what the run's log holds up to `lastSeq`. */
  events: RunEvent[];
  /** Its place in the server's queue while it waits to start (1 = next); null once started or when it never waited. */
  queuePosition: number | null;
}

export type ApplyOutcome = "applied" | "duplicate" | "gap";

export function emptyRun(runId: string, threadId: string | null = null): RunView {
  return {
    runId,
    threadId,
    lastSeq: 0,
    request: "",
    status: "running",
    steps: [],
    currentAgent: null,
    thought: null,
    tools: [],
    problems: [],
    partial: "",
    report: null,
    durationMs: null,
    cancelledAt: null,
    question: null,
    events: [],
    queuePosition: null,
  };
}

export function isTerminal(event: RunEvent): boolean {
  return TERMINAL_EVENTS.includes(event.type);
}

/** Applies one event; the view is returned unchanged (same object) unless the outcome is `applied`. */
export function applyEvent(run: RunView, event: RunEvent): { run: RunView; outcome: ApplyOutcome } {
  if (event.run_id !== run.runId || event.seq <= run.lastSeq) return { run, outcome: "duplicate" };
  if (event.seq > run.lastSeq + 1) return { run, outcome: "gap" };
  const next = reduce({ ...run, lastSeq: event.seq, threadId: event.thread_id, events: [...run.events, event], question: closeQuestion(run.question, event) }, event);
  return { run: next, outcome: "applied" };
}

/** Applies events in order, skipping duplicates; stops at the first gap (the rest must come again after a resubscribe). */
export function applyEvents(run: RunView, events: readonly RunEvent[]): { run: RunView; gap: boolean } {
  let current = run;
  for (const event of events) {
    const result = applyEvent(current, event);
    if (result.outcome === "gap") return { run: current, gap: true };
    current = result.run;
  }
  return { run: current, gap: false };
}

/** Any event after an open question means the run went on without waiting for it any longer. */
function closeQuestion(question: RunQuestion | null, event: RunEvent): RunQuestion | null {
  if (question === null || question.closedAt !== null) return question;
  return { ...question, closedAt: event.ts };
}

/**
 * Where a question stands at `now`: answered when this page sent a decision or the run went on before the deadline,
 * expired when the deadline passed first (the run went on at or after it, or is still waiting past it).
 */
export function questionState(question: RunQuestion, now: number): QuestionState {
  if (question.decision !== null) return "answered";
  const deadline = Date.parse(question.expiresAt);
  const settled = question.closedAt === null ? now : Date.parse(question.closedAt);
  if (settled >= deadline) return "expired";
  return question.closedAt === null ? "open" : "answered";
}

/**
 * The run's place in the server's queue (the ack's `queue_position`, then each `run_queued`): kept only until the run
 * starts, so a late frame never shows a started run as waiting. 0 means it did not wait.
 */
export function withQueuePosition(run: RunView, position: number): RunView {
  if (run.lastSeq > 0) return run;
  const queuePosition = position > 0 ? position : null;
  return queuePosition === run.queuePosition ? run : { ...run, queuePosition };
}

/** How the card says where a waiting run stands. */
export function queueLabel(position: number): string {
  const ahead = position - 1;
  if (ahead === 0) return "Queued — you are next";
  return `Queued — ${ahead} ${ahead === 1 ? "analysis" : "analyses"} ahead of you`;
}

/** The run with the decision this page sent for its question (ignored when the run has since asked another). */
export function withDecision(run: RunView, interruptId: string, decision: string): RunView {
  if (run.question?.interruptId !== interruptId) return run;
  return { ...run, question: { ...run.question, decision } };
}

function setStep(steps: AgentStep[], agent: string, change: Partial<AgentStep>): AgentStep[] {
  const known = steps.some((s) => s.agent === agent);
  // An agent outside the announced pipeline is still shown, in canonical order, rather than dropped.
  const all = known ? steps : insertInPipelineOrder(steps, agent);
  return all.map((s) => (s.agent === agent ? { ...s, ...change } : s));
}

function insertInPipelineOrder(steps: AgentStep[], agent: string): AgentStep[] {
  const rank = (name: string) => {
    const i = PIPELINE.indexOf(name as (typeof PIPELINE)[number]);
    return i === -1 ? PIPELINE.length : i;
  };
  const step: AgentStep = { agent, state: "pending", durationMs: null, summary: null };
  const at = steps.findIndex((s) => rank(s.agent) > rank(agent));
  return at === -1 ? [...steps, step] : [...steps.slice(0, at), step, ...steps.slice(at)];
}

function setTool(tools: ToolCall[], id: string, change: Partial<ToolCall>): ToolCall[] {
  return tools.map((t) => (t.id === id ? { ...t, ...change } : t));
}

/** Agents announced but never started are shown as skipped once the run is over; a running one stops there. */
function finish(run: RunView, status: RunStatus): RunView {
  const steps = run.steps.map((s) => {
    if (s.state === "pending") return { ...s, state: "skipped" as const };
    if (s.state === "running") return { ...s, state: status === "completed" ? ("done" as const) : ("failed" as const) };
    return s;
  });
  const tools = run.tools.map((t) => (t.state === "running" ? { ...t, state: "failed" as const } : t));
  return { ...run, status, steps, tools, currentAgent: null, thought: null };
}

function reduce(run: RunView, event: RunEvent): RunView {
  switch (event.type) {
    case EventType.RUN_STARTED:
      return {
        ...run,
        queuePosition: null,
        request: event.data.request,
        steps: event.data.pipeline.map((agent) => ({ agent, state: "pending", durationMs: null, summary: null })),
      };
    case EventType.AGENT_STARTED: {
      const steps = setStep(run.steps, event.data.agent_name, { state: "running" });
      // Agents run in pipeline order: one announced before this one that never started was skipped (it emits nothing).
      const at = steps.findIndex((s) => s.agent === event.data.agent_name);
      return { ...run, currentAgent: event.data.agent_name, thought: null, steps: steps.map((s, i) => (i < at && s.state === "pending" ? { ...s, state: "skipped" as const } : s)) };
    }
    case EventType.AGENT_THINKING:
      return { ...run, currentAgent: event.data.agent_name, thought: event.data.thought };
    case EventType.TOOL_EXECUTING: {
      const call: ToolCall = { id: event.data.tool_call_id, agent: event.data.agent_name, tool: event.data.tool_name, state: "running", durationMs: null, error: null };
      return { ...run, tools: [...run.tools, call] };
    }
    case EventType.TOOL_COMPLETED:
      return {
        ...run,
        tools: setTool(run.tools, event.data.tool_call_id, {
          state: event.data.ok ? "done" : "failed",
          durationMs: event.data.duration_ms,
          error: event.data.error ?? null,
        }),
      };
    case EventType.AGENT_COMPLETED:
      return {
        ...run,
        currentAgent: null,
        thought: null,
        steps: setStep(run.steps, event.data.agent_name, { state: "done", durationMs: event.data.duration_ms, summary: event.data.summary }),
      };
    case EventType.AGENT_ERROR:
      return {
        ...run,
        currentAgent: null,
        thought: null,
        steps: setStep(run.steps, event.data.agent_name, { state: "failed" }),
        problems: [...run.problems, { agent: event.data.agent_name, error: event.data.error }],
      };
    case EventType.PARTIAL_RESULT:
      return { ...run, partial: run.partial + event.data.content };
    case EventType.FINAL_REPORT:
      return { ...run, report: event.data.report };
    case EventType.AWAITING_INPUT: {
      const { interrupt_id, kind, prompt, options, expires_at } = event.data;
      const question: RunQuestion = { interruptId: interrupt_id, kind, agent: event.agent_name ?? run.currentAgent, prompt, options, expiresAt: expires_at, closedAt: null, decision: null };
      return { ...run, thought: prompt, question };
    }
    case EventType.RUN_COMPLETED:
      return { ...finish(run, "completed"), durationMs: event.data.duration_ms };
    case EventType.RUN_FAILED:
      return { ...finish(run, "failed"), problems: [...run.problems, { agent: null, error: event.data.error }] };
    case EventType.RUN_CANCELLED:
      return { ...finish(run, "cancelled"), cancelledAt: event.data.at_agent };
  }
}
