import type { BaseEvent } from "@ag-ui/core";
import { enforceEvents, runHttpRequest, transformHttpEventStream, verifyEvents } from "@ag-ui/client";
import type { RunEvent } from "../../src/protocol/events.ts";
import { EventType } from "../../src/protocol/names.ts";
import type { Report } from "../../src/protocol/report.ts";

// What an AG-UI client makes of an SSE stream, for the tests: the frames with their ids, and the events after
// @ag-ui/client's own parser, its schema enforcement and its conformance oracle (`verifyEvents`), as HttpAgent runs them.

export interface SseFrame {
  /** The `id:` of the frame, when it carries one. */
  id: string | undefined;
  data: Record<string, unknown>;
}

/** One run event's AG-UI events: the frames up to and including the next frame with an id. */
export interface SseGroup {
  seq: number;
  events: Record<string, unknown>[];
}

function parseSseFrames(text: string): SseFrame[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const lines = block.split("\n");
      const id = lines.find((line) => line.startsWith("id:"))?.slice(3).trim();
      const data = lines
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      return { id, data: JSON.parse(data) as Record<string, unknown> };
    });
}

/** The frames grouped by the id that closes each group; frames after the last id are a group with seq NaN. */
export function sseGroups(text: string): SseGroup[] {
  const groups: SseGroup[] = [];
  let events: Record<string, unknown>[] = [];
  for (const frame of parseSseFrames(text)) {
    events.push(frame.data);
    if (frame.id === undefined) continue;
    groups.push({ seq: Number(frame.id), events });
    events = [];
  }
  if (events.length > 0) groups.push({ seq: Number.NaN, events });
  return groups;
}

/** The stream through @ag-ui/client's SSE parser, enforcement and verifier; rejects with the oracle's error. */
export function verifiedAguiEvents(text: string): Promise<BaseEvent[]> {
  const http = runHttpRequest(async () => new Response(text, { headers: { "content-type": "text/event-stream" } }));
  const verified = verifyEvents()(enforceEvents()(transformHttpEventStream(http)));
  return new Promise((resolve, reject) => {
    const events: BaseEvent[] = [];
    verified.subscribe({ next: (event) => events.push(event), error: reject, complete: () => resolve(events) });
  });
}

/** The run's report, as the stream carries it to RUN_FINISHED. */
export function reportOf(events: readonly RunEvent[]): Report | undefined {
  const final = events.find((e) => e.type === EventType.FINAL_REPORT);
  return final?.type === EventType.FINAL_REPORT ? final.data.report : undefined;
}
