import { describe, expect, it } from "vitest";
import { Decision, ErrorCode, InterruptKind } from "../protocol/names.ts";
import { MemoryInterruptBroker, type OpenInterrupt } from "./interrupts.ts";

const OPTIONS = [Decision.APPROVE, Decision.MODIFY, Decision.DECLINE];

function question(id: string, expiresInMs = 60_000): OpenInterrupt {
  return { id, runId: "run-1", userId: "owner", kind: InterruptKind.APPROVAL, prompt: "Generate 200k records?", options: OPTIONS, expiresAt: new Date(Date.now() + expiresInMs) };
}

describe("MemoryInterruptBroker", () => {
  it("hands the owner's answer to the waiting run; the same answer again is a duplicate, a different one is refused", async () => {
    const broker = new MemoryInterruptBroker();
    await broker.open(question("q1"));
    const waiting = broker.wait("q1", new AbortController().signal);
    expect(await broker.answer("owner", "q1", { decision: Decision.MODIFY, payload: { records: 100_000 } })).toBe("accepted");
    expect(await waiting).toEqual({ decision: Decision.MODIFY, payload: { records: 100_000 } });
    expect(await broker.answer("owner", "q1", { decision: Decision.MODIFY, payload: { records: 100_000 } })).toBe("duplicate");
    await expect(broker.answer("owner", "q1", { decision: Decision.DECLINE })).rejects.toMatchObject({ code: ErrorCode.INTERRUPT_ANSWERED });
  });

  it("keeps an answer given before the run starts waiting", async () => {
    const broker = new MemoryInterruptBroker();
    await broker.open(question("q2"));
    await broker.answer("owner", "q2", { decision: Decision.APPROVE });
    expect(await broker.wait("q2", new AbortController().signal)).toEqual({ decision: Decision.APPROVE });
  });

  it("answers another user's question as not found, and refuses a decision that was not offered", async () => {
    const broker = new MemoryInterruptBroker();
    await broker.open(question("q3"));
    await expect(broker.answer("mallory", "q3", { decision: Decision.APPROVE })).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    await expect(broker.answer("owner", "nope", { decision: Decision.APPROVE })).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    await expect(broker.answer("owner", "q3", { decision: "maybe" })).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
  });

  it("gives the run null when the question expires, and refuses a late answer", async () => {
    const broker = new MemoryInterruptBroker();
    await broker.open(question("q4", 30));
    expect(await broker.wait("q4", new AbortController().signal)).toBeNull();
    await expect(broker.answer("owner", "q4", { decision: Decision.APPROVE })).rejects.toMatchObject({ code: ErrorCode.INTERRUPT_EXPIRED });
  });

  it("stops waiting when the run is cancelled", async () => {
    const broker = new MemoryInterruptBroker();
    await broker.open(question("q5"));
    const cancel = new AbortController();
    const waiting = broker.wait("q5", cancel.signal);
    cancel.abort(new Error("cancelled"));
    await expect(waiting).rejects.toThrow("cancelled");
  });
});
