import { describe, expect, it } from "vitest";
import { MemoryBus } from "./memory-bus.ts";
import { openBus } from "./open-bus.ts";
import { sampleEvent } from "./sample-events.ts";

describe("MemoryBus", () => {
  it("delivers each run's events to that run's subscribers only, in publish order", async () => {
    const bus = new MemoryBus();
    const a: number[] = [];
    const b: number[] = [];
    await bus.subscribe("run-a", (e) => a.push(e.seq));
    await bus.subscribe("run-b", (e) => b.push(e.seq));
    await bus.publish([sampleEvent("run-a", 1), sampleEvent("run-b", 1), sampleEvent("run-a", 2), sampleEvent("run-c", 1)]);
    await bus.publish([sampleEvent("run-a", 3)]);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([1]);
  });

  it("hands a notice to every notice listener until it stops listening", async () => {
    const bus = new MemoryBus();
    const heard: string[] = [];
    const stop = await bus.onNotice((notice) => heard.push(notice.user_id));
    await bus.notify({ kind: "account_changed", user_id: "user-1" });
    stop();
    await bus.notify({ kind: "account_changed", user_id: "user-2" });
    expect(heard).toEqual(["user-1"]);
  });

  it("stops delivering after unsubscribe and close", async () => {
    const bus = new MemoryBus();
    const got: number[] = [];
    const other: number[] = [];
    const unsubscribe = await bus.subscribe("run-a", (e) => got.push(e.seq));
    await bus.subscribe("run-a", (e) => other.push(e.seq));
    await bus.publish([sampleEvent("run-a", 1)]);
    unsubscribe();
    await bus.publish([sampleEvent("run-a", 2)]);
    await bus.close();
    await bus.publish([sampleEvent("run-a", 3)]);
    expect(got).toEqual([1]);
    expect(other).toEqual([1, 2]);
  });

  it("keeps delivering to the other listeners when one throws, and reports the error", async () => {
    const errors: unknown[] = [];
    const bus = await openBus({ onError: (error) => errors.push(error) });
    expect(bus).toBeInstanceOf(MemoryBus);
    const got: number[] = [];
    await bus.subscribe("run-a", () => {
      throw new Error("listener broke");
    });
    await bus.subscribe("run-a", (e) => got.push(e.seq));
    await bus.publish([sampleEvent("run-a", 1), sampleEvent("run-a", 2)]);
    expect(got).toEqual([1, 2]);
    expect(errors).toHaveLength(2);
  });
});
