import { describe, expect, it } from "vitest";
import { ClientCommandSchema, ControlFrameSchema, MAX_MESSAGE_CHARS } from "./commands.ts";
import { ClientCommand, ControlFrame, NAMED_VALUE_CATEGORIES } from "./names.ts";

describe("client commands", () => {
  it("parses each command type and defaults after_seq to 0", () => {
    expect(ClientCommandSchema.parse({ type: ClientCommand.SUBSCRIBE, run_id: "r1" })).toEqual({ type: "subscribe", run_id: "r1", after_seq: 0 });
    expect(ClientCommandSchema.parse({ type: ClientCommand.USER_MESSAGE, id: "c1", text: "  hi  " })).toMatchObject({ text: "hi" });
    expect(ClientCommandSchema.parse({ type: ClientCommand.PING }).type).toBe(ClientCommand.PING);
    expect(ClientCommandSchema.parse({ type: ClientCommand.RESPOND, interrupt_id: "i1", decision: "approve" })).toMatchObject({ decision: "approve" });
  });

  it.each([
    ["an unknown type", { type: "shutdown" }],
    ["an empty message", { type: ClientCommand.USER_MESSAGE, text: "   " }],
    ["an oversized message", { type: ClientCommand.USER_MESSAGE, text: "x".repeat(MAX_MESSAGE_CHARS + 1) }],
    ["a negative after_seq", { type: ClientCommand.SUBSCRIBE, run_id: "r1", after_seq: -1 }],
    ["a cancel without run id", { type: ClientCommand.CANCEL_RUN }],
  ])("rejects %s", (_, frame) => {
    expect(ClientCommandSchema.safeParse(frame).success).toBe(false);
  });
});

describe("control frames", () => {
  it("parses welcome, ack with extra fields, and replay_complete", () => {
    expect(
      ControlFrameSchema.parse({ type: ControlFrame.WELCOME, protocol: 1, connection_id: "c", heartbeat_ms: 15000, server_time: "2026-11-24T12:00:00Z" }).type,
    ).toBe(ControlFrame.WELCOME);
    expect(ControlFrameSchema.parse({ type: ControlFrame.ACK, id: "c1", run_id: "r1" })).toMatchObject({ run_id: "r1" });
    expect(ControlFrameSchema.safeParse({ type: ControlFrame.REPLAY_COMPLETE, run_id: "r1" }).success).toBe(false);
  });
});

describe("the named-values index", () => {
  it("has no value twice within a category", () => {
    for (const [category, values] of Object.entries(NAMED_VALUE_CATEGORIES)) {
      const list = Object.values(values);
      expect(new Set(list).size, category).toBe(list.length);
    }
  });
});
