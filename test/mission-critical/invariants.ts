import { RunEventSchema, type RunEvent } from "../../src/protocol/events.ts";
import { EventType, PIPELINE, TERMINAL_EVENTS } from "../../src/protocol/names.ts";

// The protocol.md invariants as one checker over the events a server emitted for one run. It returns every violation
// it finds (empty = well-formed), so a test can assert both that good streams pass and that broken ones are caught.

const AGENT_CLOSERS: readonly string[] = [EventType.AGENT_COMPLETED, EventType.AGENT_ERROR];

function isSubsequence(items: readonly string[], of: readonly string[]): boolean {
  let at = 0;
  for (const item of items) {
    const found = of.indexOf(item, at);
    if (found < 0) return false;
    at = found + 1;
  }
  return true;
}

export function checkRunInvariants(events: readonly RunEvent[]): string[] {
  const violations: string[] = [];
  if (events.length === 0) return ["no events"];

  // 0. every event is a valid envelope of one run, with a unique id and non-decreasing time
  const runId = events[0]?.run_id;
  const ids = new Set<string>();
  let lastTs = "";
  events.forEach((event, i) => {
    if (!RunEventSchema.safeParse(event).success) violations.push(`event ${i} breaks the schema`);
    if (event.run_id !== runId) violations.push(`event ${i} belongs to run ${event.run_id}, not ${runId}`);
    if (ids.has(event.event_id)) violations.push(`event_id ${event.event_id} repeats`);
    ids.add(event.event_id);
    if (event.ts < lastTs) violations.push(`event ${i} (seq ${event.seq}) goes back in time`);
    lastTs = event.ts;
  });

  // 1. gapless seq from 1; run_started first; exactly one terminal event, last
  events.forEach((event, i) => {
    if (event.seq !== i + 1) violations.push(`seq ${event.seq} at position ${i + 1} (gap, repeat or reorder)`);
  });
  if (events[0]?.type !== EventType.RUN_STARTED) violations.push(`first event is ${events[0]?.type}, not run_started`);
  const terminals = events.filter((e) => TERMINAL_EVENTS.includes(e.type));
  if (terminals.length !== 1) violations.push(`${terminals.length} terminal events, expected exactly 1`);
  const last = events[events.length - 1];
  if (last === undefined || !TERMINAL_EVENTS.includes(last.type)) violations.push(`last event is ${last?.type}, not terminal`);

  // 2. agents in pipeline order, each once; an agent's events lie inside its span
  const first = events[0];
  const pipeline = first?.type === EventType.RUN_STARTED ? first.data.pipeline : [];
  const canonical = pipeline.filter((name) => PIPELINE.includes(name as (typeof PIPELINE)[number]));
  if (!isSubsequence(canonical, PIPELINE)) violations.push(`pipeline ${pipeline.join(",")} is out of canonical order`);
  const started = events.filter((e) => e.type === EventType.AGENT_STARTED).map((e) => e.data.agent_name);
  if (new Set(started).size !== started.length) violations.push(`an agent started twice: ${started.join(",")}`);
  if (!isSubsequence(started, pipeline)) violations.push(`agents ran as ${started.join(",")}, not in pipeline order ${pipeline.join(",")}`);

  // 3. tool pairs: each tool_executing gets exactly one tool_completed (same id, tool, agent) before its agent ends
  let open: string | null = null;
  let thoughts = 0;
  const openTools = new Map<string, { tool: string; agent: string }>();
  const seenCalls = new Set<string>();
  for (const event of events) {
    const agent = event.agent_name;
    if (event.type === EventType.AGENT_STARTED) {
      if (open !== null) violations.push(`${event.data.agent_name} started while ${open} was still running`);
      open = event.data.agent_name;
      thoughts = 0;
      continue;
    }
    if (agent !== undefined && agent !== open) {
      violations.push(`seq ${event.seq}: ${event.type} of ${agent} outside its agent span (open: ${open})`);
    }
    if (event.type === EventType.AGENT_THINKING) thoughts += 1;
    if (event.type === EventType.TOOL_EXECUTING) {
      if (seenCalls.has(event.data.tool_call_id)) violations.push(`tool_call_id ${event.data.tool_call_id} reused`);
      seenCalls.add(event.data.tool_call_id);
      openTools.set(event.data.tool_call_id, { tool: event.data.tool_name, agent: event.data.agent_name });
    }
    if (event.type === EventType.TOOL_COMPLETED) {
      const call = openTools.get(event.data.tool_call_id);
      if (call === undefined) violations.push(`tool_completed ${event.data.tool_call_id} without an open tool_executing`);
      else if (call.tool !== event.data.tool_name || call.agent !== event.data.agent_name) {
        violations.push(`tool_completed ${event.data.tool_call_id} names another tool or agent than its tool_executing`);
      }
      if (event.data.ok === (event.data.error !== undefined)) violations.push(`tool_completed ${event.data.tool_call_id}: ok and error disagree`);
      openTools.delete(event.data.tool_call_id);
    }
    if (AGENT_CLOSERS.includes(event.type)) {
      const pending = [...openTools.values()].filter((t) => t.agent === agent);
      if (pending.length > 0) violations.push(`${agent} ended with ${pending.length} tool call(s) still open`);
      if (thoughts === 0) violations.push(`${agent} ended without any agent_thinking`);
      open = null;
    }
    if (TERMINAL_EVENTS.includes(event.type) && open !== null) violations.push(`run ended while ${open} was still running`);
  }
  if (openTools.size > 0) violations.push(`${openTools.size} tool call(s) never completed`);
  if (open !== null) violations.push(`${open} never ended`);
  return violations;
}

/** Invariant 4 for one user: every event they received belongs to one of their runs and carries no other user's marker. */
export function crossUserLeaks(
  received: readonly RunEvent[],
  ownRunIds: ReadonlySet<string>,
  ownMarker: string,
  allMarkers: readonly string[],
): string[] {
  const leaks = received.filter((e) => !ownRunIds.has(e.run_id)).map((e) => `received seq ${e.seq} of foreign run ${e.run_id}`);
  const text = JSON.stringify(received);
  for (const marker of allMarkers) {
    if (marker !== ownMarker && text.includes(marker)) leaks.push(`saw another user's marker ${marker}`);
  }
  return leaks;
}
