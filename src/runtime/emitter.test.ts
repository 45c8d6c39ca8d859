import { describe, expect, it } from "vitest";
import type { RunEvent } from "../protocol/events.ts";
import { ErrorCode, EventMode, EventType } from "../protocol/names.ts";
import { UserExecutionContext } from "./context.ts";
import { RunEmitter } from "./emitter.ts";
import { MemoryEventSink, type EventSink } from "./event-sink.ts";

const ctx = UserExecutionContext.create({ userId: "u1", threadId: "t1", runId: "r1" });
const started = { pipeline: ["triage"], request: "hello" };

describe("RunEmitter", () => {
  it("builds envelopes with gapless seq, UUIDv7 ids, ISO time and the agent name", async () => {
    const sink = new MemoryEventSink();
    const emitter = new RunEmitter(ctx, sink);
    await emitter.emit(EventType.RUN_STARTED, started);
    const agent = await emitter.emit(EventType.AGENT_STARTED, { agent_name: "triage", step: 1, total_steps: 1 });
    expect(agent).toMatchObject({ v: 1, seq: 2, run_id: "r1", thread_id: "t1", agent_name: "triage", type: EventType.AGENT_STARTED });
    expect(agent?.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Date(agent?.ts ?? "").toISOString()).toBe(agent?.ts);
    expect(sink.events("r1", "u1").map((e) => e.seq)).toEqual([1, 2]);
    expect(JSON.stringify(sink.events("r1", "u1"))).not.toContain("u1");
  });

  it("refuses a malformed or non-JSON event without using a seq", async () => {
    const sink = new MemoryEventSink();
    const emitter = new RunEmitter(ctx, sink);
    await emitter.emit(EventType.RUN_STARTED, started);
    await expect(emitter.emit(EventType.AGENT_STARTED, { agent_name: "", step: 1, total_steps: 1 })).rejects.toMatchObject({
      code: ErrorCode.INVALID_EVENT,
    });
    await expect(
      emitter.emit(EventType.TOOL_COMPLETED, {
        agent_name: "a",
        tool_name: "t",
        tool_call_id: "c",
        ok: true,
        result: { when: new Date() },
        duration_ms: 1,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.NOT_SERIALIZABLE });
    await emitter.emit(EventType.RUN_COMPLETED, { duration_ms: 1, agents_run: [] });
    expect(sink.events("r1", "u1").map((e) => e.seq)).toEqual([1, 2]);
  });

  it("accepts nothing after the terminal event", async () => {
    const emitter = new RunEmitter(ctx, new MemoryEventSink());
    await emitter.emit(EventType.RUN_STARTED, started);
    await emitter.emit(EventType.RUN_FAILED, { error: { code: ErrorCode.INTERNAL, message: "boom" } });
    expect(emitter.closed).toBe(true);
    await expect(emitter.emit(EventType.RUN_COMPLETED, { duration_ms: 1, agents_run: [] })).rejects.toMatchObject({
      code: ErrorCode.EMITTER_CLOSED,
    });
  });

  it("hands events to the sink in seq order even when emits overlap and the sink is slow", async () => {
    const order: number[] = [];
    const slowSink: EventSink = {
      async append(event: RunEvent) {
        await new Promise((r) => setTimeout(r, event.seq % 2 === 0 ? 5 : 0));
        order.push(event.seq);
      },
    };
    const emitter = new RunEmitter(ctx, slowSink);
    await emitter.emit(EventType.RUN_STARTED, started);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => emitter.emit(EventType.PARTIAL_RESULT, { agent_name: "triage", content: `part ${i}` })),
    );
    expect(order).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it("drops optional events in critical mode", async () => {
    const sink = new MemoryEventSink();
    const emitter = new RunEmitter(ctx, sink, EventMode.CRITICAL);
    await emitter.emit(EventType.RUN_STARTED, started);
    expect(await emitter.emit(EventType.PARTIAL_RESULT, { agent_name: "triage", content: "x" })).toBeNull();
    expect(sink.events("r1", "u1")).toHaveLength(1);
  });

  it("fails every later emit once the sink has failed, so no gap can be hidden", async () => {
    let calls = 0;
    const flaky: EventSink = {
      async append() {
        calls += 1;
        if (calls === 2) throw new Error("disk full");
      },
    };
    const emitter = new RunEmitter(ctx, flaky);
    await emitter.emit(EventType.RUN_STARTED, started);
    await expect(emitter.emit(EventType.PARTIAL_RESULT, { agent_name: "a", content: "x" })).rejects.toMatchObject({
      code: ErrorCode.EVENT_SINK_FAILED,
    });
    await expect(emitter.emit(EventType.PARTIAL_RESULT, { agent_name: "a", content: "y" })).rejects.toMatchObject({
      code: ErrorCode.EVENT_SINK_FAILED,
    });
    expect(calls).toBe(2);
  });
});
