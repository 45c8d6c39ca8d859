import { EventType as AguiEventType, type BaseEvent } from "@ag-ui/core";
import { EventSchema } from "@ag-ui/core/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportOf, sseGroups, verifiedAguiEvents } from "../../test/server/agui-client.ts";
import { reportMarkdown } from "../agents/report-markdown.ts";
import { generateWorkload } from "../analytics/generator/workload.ts";
import { ingestUsage } from "../analytics/ingest.ts";
import { openUsageStore } from "../analytics/open-usage-store.ts";
import { readUsageLines } from "../analytics/read-usage.ts";
import type { UsageStore } from "../analytics/store.ts";
import { llmConfigFromEnv } from "../llm/config.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { RunEventSchema, type RunEvent } from "../protocol/events.ts";
import { ErrorCode, EventType } from "../protocol/names.ts";
import type { Report } from "../protocol/report.ts";
import { MemoryEventSink } from "../runtime/event-sink.ts";
import { sseFrames, toAguiEvents, type AguiEvent } from "./agui.ts";
import { createApexFactory } from "./pipeline.ts";

// The mapping of run events to AG-UI events, on the events of real runs of the real pipeline (offline LLM, a generated
// workload in DuckDB :memory:): a completed run, one with no data (the Data Guide path), a cancelled one, and one that
// the sweeper closed as interrupted. Each run event is checked against what it carries; each whole stream goes through
// @ag-ui/client's parser and conformance oracle.

const OWNER = "alice";
const NO_DATA_OWNER = "bob";
const QUESTION = "Where can I cut my LLM costs?";
const book = new PriceBook();

type Runs = Record<"completed" | "noData" | "cancelled" | "interrupted", RunEvent[]>;

let store: UsageStore;
let runs: Runs;

async function realRuns(): Promise<Runs> {
  const workload = generateWorkload({ scenario: "saas", records: 600, days: 14, seed: 3, price: (r) => book.price(r).computed_cost_usd });
  const reader = await readUsageLines([...workload.records()].map((r) => JSON.stringify(r)), { format: "canonical" });
  await ingestUsage(reader, store, { owner: OWNER, corpus: "default", price: (r) => book.price(r) });
  const sink = new MemoryEventSink();
  const factory = createApexFactory({ usage: store, prices: book, llm: llmConfigFromEnv({}), sink });
  const run = async (userId: string, cancel = false) => {
    const handle = factory.start({ userId, threadId: `thread-${userId}`, request: QUESTION });
    // cancelled once an agent has started, so that agent ends with agent_error inside its step
    const stop = sink.subscribe(userId, (e) => {
      if (cancel && e.run_id === handle.runId && e.type === EventType.AGENT_STARTED) factory.cancel(handle.runId, userId);
    });
    await handle.done;
    stop();
    return [...sink.events(handle.runId, userId)];
  };
  const completed = await run(OWNER);
  const cancelled = await run(OWNER, true);
  // What EventLog.closeInterrupted appends when a run's node died mid-run: run_failed {interrupted} after the last event.
  const cut = completed.slice(0, completed.findIndex((e) => e.type === EventType.TOOL_COMPLETED) + 1);
  const last = cut.at(-1) as RunEvent;
  const failed = RunEventSchema.parse({
    ...last,
    type: EventType.RUN_FAILED,
    seq: last.seq + 1,
    agent_name: undefined,
    data: { error: { code: ErrorCode.INTERRUPTED, message: "The server running this analysis stopped before it finished." } },
  });
  return { completed, noData: await run(NO_DATA_OWNER), cancelled, interrupted: [...cut, failed] };
}

function streamOf(events: readonly RunEvent[]): string {
  const report = reportOf(events);
  return events.map((e) => sseFrames(toAguiEvents(e, report), e.seq)).join("");
}

function only(events: readonly AguiEvent[]): AguiEvent {
  expect(events).toHaveLength(1);
  return events[0] as AguiEvent;
}

/** What the mapping must say about one run event, from the run event's own fields. */
function expectCarried(event: RunEvent, mapped: readonly AguiEvent[], report: Report | undefined): void {
  const types = mapped.map((m) => m.type);
  switch (event.type) {
    case EventType.RUN_STARTED:
      expect(only(mapped)).toMatchObject({ type: AguiEventType.RUN_STARTED, threadId: event.thread_id, runId: event.run_id });
      return;
    case EventType.AGENT_STARTED:
      expect(only(mapped)).toMatchObject({ type: AguiEventType.STEP_STARTED, stepName: event.data.agent_name });
      return;
    case EventType.AGENT_COMPLETED:
    case EventType.AGENT_ERROR:
      expect(only(mapped)).toMatchObject({ type: AguiEventType.STEP_FINISHED, stepName: event.data.agent_name });
      return;
    case EventType.AGENT_THINKING:
      expect(types).toEqual([
        AguiEventType.REASONING_START,
        AguiEventType.REASONING_MESSAGE_START,
        AguiEventType.REASONING_MESSAGE_CONTENT,
        AguiEventType.REASONING_MESSAGE_END,
        AguiEventType.REASONING_END,
      ]);
      expect(mapped[2]).toMatchObject({ delta: event.data.thought });
      return;
    case EventType.TOOL_EXECUTING: {
      expect(types).toEqual([AguiEventType.TOOL_CALL_START, AguiEventType.TOOL_CALL_ARGS, AguiEventType.TOOL_CALL_END]);
      expect(mapped.map((m) => (m as { toolCallId?: string }).toolCallId)).toEqual(Array(3).fill(event.data.tool_call_id));
      expect(mapped[0]).toMatchObject({ toolCallName: event.data.tool_name });
      expect(JSON.parse((mapped[1] as { delta: string }).delta)).toEqual(event.data.parameters);
      return;
    }
    case EventType.TOOL_COMPLETED: {
      const result = only(mapped) as { type: string; toolCallId: string; content: string };
      expect(result).toMatchObject({ type: AguiEventType.TOOL_CALL_RESULT, toolCallId: event.data.tool_call_id });
      expect(JSON.parse(result.content)).toEqual(event.data.ok ? JSON.parse(JSON.stringify(event.data.result ?? null)) : { error: event.data.error });
      return;
    }
    case EventType.FINAL_REPORT:
    case EventType.PARTIAL_RESULT: {
      expect(types).toEqual([AguiEventType.TEXT_MESSAGE_START, AguiEventType.TEXT_MESSAGE_CONTENT, AguiEventType.TEXT_MESSAGE_END]);
      const text = event.type === EventType.FINAL_REPORT ? reportMarkdown(event.data.report) : event.data.content;
      expect(mapped[1]).toMatchObject({ delta: text });
      return;
    }
    case EventType.RUN_COMPLETED:
      expect(only(mapped)).toEqual(expect.objectContaining({ type: AguiEventType.RUN_FINISHED, threadId: event.thread_id, runId: event.run_id }));
      expect((mapped[0] as { result?: unknown }).result).toEqual(report);
      return;
    case EventType.RUN_FAILED:
      expect(only(mapped)).toMatchObject({ type: AguiEventType.RUN_ERROR, code: event.data.error.code, message: event.data.error.message });
      return;
    case EventType.RUN_CANCELLED:
      expect(only(mapped)).toMatchObject({ type: AguiEventType.RUN_ERROR, code: ErrorCode.CANCELLED });
      return;
    case EventType.AWAITING_INPUT:
      expect(only(mapped)).toMatchObject({ type: AguiEventType.CUSTOM, name: event.type, value: event.data });
      return;
  }
}

beforeAll(async () => {
  store = await openUsageStore({ path: ":memory:" });
  runs = await realRuns();
});

afterAll(async () => {
  await store.close();
});

describe("the AG-UI mapping of real runs", () => {
  it("ran the shapes it is tested on", () => {
    expect(runs.completed.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(reportOf(runs.completed)).toBeDefined();
    expect(runs.completed.some((e) => e.type === EventType.TOOL_EXECUTING)).toBe(true);
    expect(runs.noData.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(runs.cancelled.at(-1)?.type).toBe(EventType.RUN_CANCELLED);
    expect(runs.cancelled.some((e) => e.type === EventType.AGENT_ERROR)).toBe(true);
    expect(runs.interrupted.at(-1)?.type).toBe(EventType.RUN_FAILED);
  });

  it("maps every run event to what it carries, as valid AG-UI 1.0 events with nothing AG-UI does not describe", () => {
    for (const events of Object.values(runs)) {
      const report = reportOf(events);
      for (const event of events) {
        const mapped = toAguiEvents(event, report);
        expectCarried(event, mapped, report);
        for (const m of mapped) {
          const wire = JSON.parse(JSON.stringify(m)) as unknown;
          expect(EventSchema.parse(wire), `${event.type} → ${m.type}`).toEqual(wire);
          expect(m.timestamp).toBe(Date.parse(event.ts));
        }
      }
    }
  });

  it("maps a run event the same way every time, whatever its key order, so a replay from the log repeats the live stream", () => {
    const report = reportOf(runs.completed);
    // the log (jsonb) gives objects back with their keys in another order
    const reordered = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(reordered) : value !== null && typeof value === "object" ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reordered(v)])) : value;
    for (const event of runs.completed) expect(JSON.stringify(toAguiEvents(reordered(event) as RunEvent, report))).toBe(JSON.stringify(toAguiEvents(event, report)));
    // RUN_FINISHED carries the report only when the caller has it
    const completed = runs.completed.at(-1) as RunEvent;
    expect(only(toAguiEvents(completed))).not.toHaveProperty("result");
  });

  it("puts the seq on the last frame of each run event's group only", () => {
    const groups = sseGroups(streamOf(runs.completed));
    expect(groups.map((g) => g.seq)).toEqual(runs.completed.map((e) => e.seq));
    const report = reportOf(runs.completed);
    for (const [i, group] of groups.entries()) {
      expect(group.events).toEqual(JSON.parse(JSON.stringify(toAguiEvents(runs.completed[i] as RunEvent, report))));
    }
  });

  it("gives streams @ag-ui/client's conformance oracle accepts: completed, no data, cancelled, interrupted", async () => {
    for (const [shape, events] of Object.entries(runs)) {
      const verified: BaseEvent[] = await verifiedAguiEvents(streamOf(events));
      const expected = events.flatMap((e) => toAguiEvents(e, reportOf(events)));
      expect(verified.map((e) => e.type), shape).toEqual(expected.map((e) => e.type));
      expect(verified.at(-1)?.type).toBe(shape === "completed" || shape === "noData" ? AguiEventType.RUN_FINISHED : AguiEventType.RUN_ERROR);
    }
  });

  it("is a stream the oracle rejects when cut or reordered: the oracle is not a rubber stamp", async () => {
    const events = runs.completed;
    // an agent's start dropped: its step finishes without having started
    const agentStart = events.findIndex((e) => e.type === EventType.AGENT_STARTED);
    await expect(verifiedAguiEvents(streamOf(events.filter((_, i) => i !== agentStart)))).rejects.toThrow(/not started/);
    // an agent's completion dropped: the run finishes with its step still open
    const agentDone = events.findIndex((e) => e.type === EventType.AGENT_COMPLETED);
    await expect(verifiedAguiEvents(streamOf(events.filter((_, i) => i !== agentDone)))).rejects.toThrow(/step/i);
  });
});
