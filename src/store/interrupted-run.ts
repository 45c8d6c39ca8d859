import { RunEventSchema, type RunEvent, type WireError } from "../protocol/events.ts";
import { EventType, PROTOCOL_VERSION } from "../protocol/names.ts";

// What the log of a run whose node died must end with, so the stream still keeps the protocol's invariants: every open
// tool call completed (failed, interrupted), the open agent closed with agent_error, then run_failed. A client that
// followed the run sees each span it saw open closed, instead of an agent "running" forever.

export interface ClosingInput {
  runId: string;
  threadId: string;
  /** What the user asked: a run that died while waiting its turn has an empty log, opened with run_started. */
  request: string;
  /** The run's whole log so far, in seq order, without a terminal event. */
  log: readonly RunEvent[];
  error: WireError;
  newEventId: () => string;
  now?: Date;
}

export function interruptedRunEnding(input: ClosingInput): RunEvent[] {
  const { runId, threadId, log, error, newEventId } = input;
  const now = input.now ?? new Date();
  const ts = now.toISOString();
  const openTools = new Map<string, { agent: string; tool: string; startedAt: number }>();
  let openAgent: string | undefined;
  for (const event of log) {
    if (event.type === EventType.AGENT_STARTED) openAgent = event.data.agent_name;
    else if (event.type === EventType.AGENT_COMPLETED || event.type === EventType.AGENT_ERROR) openAgent = undefined;
    else if (event.type === EventType.TOOL_EXECUTING) {
      openTools.set(event.data.tool_call_id, { agent: event.data.agent_name, tool: event.data.tool_name, startedAt: Date.parse(event.ts) });
    } else if (event.type === EventType.TOOL_COMPLETED) openTools.delete(event.data.tool_call_id);
  }
  let seq = log.at(-1)?.seq ?? 0;
  const envelope = (type: string, data: Record<string, unknown>, agentName?: string): RunEvent =>
    RunEventSchema.parse({
      v: PROTOCOL_VERSION,
      type,
      event_id: newEventId(),
      run_id: runId,
      thread_id: threadId,
      seq: (seq += 1),
      ts,
      ...(agentName === undefined ? {} : { agent_name: agentName }),
      data,
    });
  const ending: RunEvent[] = [];
  // Invariant 1 holds for a run that never started (it waited in a node's queue): run_started first, no agent announced.
  if (log.length === 0) ending.push(envelope(EventType.RUN_STARTED, { pipeline: [], request: input.request }));
  for (const [callId, call] of openTools) {
    const data = { agent_name: call.agent, tool_name: call.tool, tool_call_id: callId, ok: false, error, duration_ms: Math.max(0, now.getTime() - call.startedAt) };
    ending.push(envelope(EventType.TOOL_COMPLETED, data, call.agent));
  }
  if (openAgent !== undefined) ending.push(envelope(EventType.AGENT_ERROR, { agent_name: openAgent, error, recoverable: false }, openAgent));
  ending.push(envelope(EventType.RUN_FAILED, { error }));
  return ending;
}
