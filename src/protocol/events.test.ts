import { describe, expect, it } from "vitest";
import { RunEventDataSchemas, RunEventSchema } from "./events.ts";
import { ErrorCode, EventType, MISSION_CRITICAL_EVENTS, TERMINAL_EVENTS } from "./names.ts";

const envelope = {
  v: 1,
  event_id: "0190f2a4-1b2c-7d3e-8f40-123456789abc",
  run_id: "run-1",
  thread_id: "thread-1",
  seq: 3,
  ts: "2026-11-24T12:00:00.000Z",
};

describe("run event schemas", () => {
  it("has one data schema per event type", () => {
    expect(Object.keys(RunEventDataSchemas).sort()).toEqual(Object.values(EventType).sort());
  });

  it("accepts a well-formed tool_completed and strips unknown fields", () => {
    const parsed = RunEventSchema.parse({
      ...envelope,
      type: EventType.TOOL_COMPLETED,
      agent_name: "data",
      data: { agent_name: "data", tool_name: "cost_by_model", tool_call_id: "call_1", ok: true, result: [1], duration_ms: 4, extra: 1 },
    });
    expect(parsed.data).not.toHaveProperty("extra");
  });

  it.each([
    ["seq 0", { seq: 0 }],
    ["protocol v2", { v: 2 }],
    ["a non-UUID event id", { event_id: "abc" }],
    ["a non-ISO time", { ts: "yesterday" }],
    ["an empty run id", { run_id: "" }],
  ])("rejects an envelope with %s", (_, patch) => {
    const result = RunEventSchema.safeParse({ ...envelope, ...patch, type: EventType.RUN_STARTED, data: { pipeline: [], request: "x" } });
    expect(result.success).toBe(false);
  });

  it("rejects unknown event types and unknown error codes", () => {
    expect(RunEventSchema.safeParse({ ...envelope, type: "agent_exploded", data: {} }).success).toBe(false);
    const failed = { ...envelope, type: EventType.RUN_FAILED, data: { error: { code: "oops", message: "x" } } };
    expect(RunEventSchema.safeParse(failed).success).toBe(false);
    failed.data.error.code = ErrorCode.INTERNAL;
    expect(RunEventSchema.safeParse(failed).success).toBe(true);
  });

  it("names the five mission-critical events and the three terminal ones", () => {
    expect(MISSION_CRITICAL_EVENTS).toEqual(["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed"]);
    expect(TERMINAL_EVENTS).toEqual(["run_completed", "run_failed", "run_cancelled"]);
  });
});
