import { EventType as AguiEventType, PROTOCOL_VERSION as AGUI_PROTOCOL_VERSION, type Event as AguiEvent } from "@ag-ui/core";
import { EventEncoder } from "@ag-ui/encoder";
import { reportMarkdown } from "../agents/report-markdown.ts";
import type { RunEvent, RunEventOf } from "../protocol/events.ts";
import { ErrorCode, EventType } from "../protocol/names.ts";
import type { Report } from "../protocol/report.ts";

// Our run events as AG-UI 1.0 events (@ag-ui/core). The @ag-ui packages stay inside this file and agui-routes.ts (they
// bring their own zod). Each run event maps on its own, to one or more AG-UI events, always the same ones: ids are
// derived from the run event (the thread, the run, the tool call, the event id), so a replay maps exactly as the live
// stream did and a resumed stream continues where the first one stopped.

export type { AguiEvent };

const encoder = new EventEncoder();

/** JSON with object keys sorted: the log (jsonb) does not keep key order, and a replay must repeat the live text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** A text stream of one message: start, the whole text as one fragment, end. */
function textMessage(messageId: string, text: string, timestamp: number): AguiEvent[] {
  return [
    { type: AguiEventType.TEXT_MESSAGE_START, messageId, role: "assistant", timestamp },
    { type: AguiEventType.TEXT_MESSAGE_CONTENT, messageId, delta: text, timestamp },
    { type: AguiEventType.TEXT_MESSAGE_END, messageId, timestamp },
  ];
}

/** An agent's thought is its reasoning: a reasoning span holding one reasoning message. */
function reasoning(messageId: string, thought: string, timestamp: number): AguiEvent[] {
  return [
    { type: AguiEventType.REASONING_START, messageId, timestamp },
    { type: AguiEventType.REASONING_MESSAGE_START, messageId, role: "reasoning", timestamp },
    { type: AguiEventType.REASONING_MESSAGE_CONTENT, messageId, delta: thought, timestamp },
    { type: AguiEventType.REASONING_MESSAGE_END, messageId, timestamp },
    { type: AguiEventType.REASONING_END, messageId, timestamp },
  ];
}

function toolResult(event: RunEventOf<typeof EventType.TOOL_COMPLETED>, timestamp: number): AguiEvent {
  const { tool_call_id: toolCallId, ok, result, error, duration_ms: durationMs } = event.data;
  return {
    type: AguiEventType.TOOL_CALL_RESULT,
    messageId: event.event_id,
    toolCallId,
    role: "tool",
    content: canonicalJson(ok ? (result ?? null) : { error }),
    metadata: { ok, duration_ms: durationMs },
    timestamp,
  };
}

/**
 * The AG-UI events of one run event, in order; never empty, so every seq has a frame to carry its id. `report` is the
 * run's final report when the caller saw it: RUN_FINISHED carries it as the run's result.
 */
export function toAguiEvents(event: RunEvent, report?: Report): AguiEvent[] {
  const timestamp = Date.parse(event.ts);
  const ids = { threadId: event.thread_id, runId: event.run_id };
  switch (event.type) {
    case EventType.RUN_STARTED:
      return [{ type: AguiEventType.RUN_STARTED, ...ids, protocolVersion: AGUI_PROTOCOL_VERSION, timestamp }];
    case EventType.AGENT_STARTED:
      return [{ type: AguiEventType.STEP_STARTED, stepName: event.data.agent_name, timestamp }];
    case EventType.AGENT_COMPLETED:
      return [{ type: AguiEventType.STEP_FINISHED, stepName: event.data.agent_name, metadata: { summary: event.data.summary }, timestamp }];
    case EventType.AGENT_ERROR:
      return [{ type: AguiEventType.STEP_FINISHED, stepName: event.data.agent_name, metadata: { error: event.data.error, recoverable: event.data.recoverable }, timestamp }];
    case EventType.AGENT_THINKING:
      return reasoning(event.event_id, event.data.thought, timestamp);
    case EventType.TOOL_EXECUTING: {
      const { tool_call_id: toolCallId, tool_name: toolCallName, parameters } = event.data;
      return [
        { type: AguiEventType.TOOL_CALL_START, toolCallId, toolCallName, timestamp },
        { type: AguiEventType.TOOL_CALL_ARGS, toolCallId, delta: canonicalJson(parameters), timestamp },
        { type: AguiEventType.TOOL_CALL_END, toolCallId, timestamp },
      ];
    }
    case EventType.TOOL_COMPLETED:
      return [toolResult(event, timestamp)];
    case EventType.PARTIAL_RESULT:
      return textMessage(event.event_id, event.data.content, timestamp);
    case EventType.FINAL_REPORT:
      return textMessage(event.event_id, reportMarkdown(event.data.report), timestamp);
    case EventType.AWAITING_INPUT:
      // AG-UI's interrupts end the run; ours wait inside it, so the question travels as a custom event.
      return [{ type: AguiEventType.CUSTOM, name: event.type, value: event.data, timestamp }];
    case EventType.RUN_COMPLETED:
      return [{ type: AguiEventType.RUN_FINISHED, ...ids, ...(report === undefined ? {} : { result: report }), timestamp }];
    case EventType.RUN_FAILED:
      return [{ type: AguiEventType.RUN_ERROR, message: event.data.error.message, code: event.data.error.code, timestamp }];
    case EventType.RUN_CANCELLED: {
      const where = event.data.at_agent === null ? "" : ` during the ${event.data.at_agent} step`;
      return [{ type: AguiEventType.RUN_ERROR, message: `The analysis was cancelled by the ${event.data.by}${where}; send the message again to run it anew.`, code: ErrorCode.CANCELLED, timestamp }];
    }
  }
}

/**
 * The SSE frames of one run event's AG-UI events. Only the last frame carries `id: <seq>`: a client that reconnects
 * with Last-Event-ID gets a run event's AG-UI events again whole, or not at all.
 */
export function sseFrames(events: readonly AguiEvent[], seq: number): string {
  return events.map((event, i) => (i === events.length - 1 ? `id: ${seq}\n` : "") + encoder.encodeSSE(event)).join("");
}
