import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/protocol/events.ts";
import { EventType, TERMINAL_EVENTS } from "../../src/protocol/names.ts";
import { MemoryEventSink, type EventSink } from "../../src/runtime/event-sink.ts";
import { checkRunInvariants, crossUserLeaks } from "./invariants.ts";
import { suiteFactory } from "./suite-pipeline.ts";

// Deliberate breakages: the suite must notice a broken event path, or its green runs mean nothing.

const REQUEST = "marker=break-1 big-model 100 10 mid-model 200 20";

/** Wraps a MemoryEventSink and tampers with the stream on its way in. */
class TamperingSink implements EventSink {
  readonly inner = new MemoryEventSink();
  #count = 0;
  #held: RunEvent | undefined;
  constructor(private readonly tamper: "drop" | "duplicate" | "swap" | "drop_terminal", private readonly at = 5) {}

  async append(event: RunEvent, owner: string): Promise<void> {
    this.#count += 1;
    const hit = this.#count === this.at;
    if (this.tamper === "drop" && hit) return;
    if (this.tamper === "drop_terminal" && TERMINAL_EVENTS.includes(event.type)) return;
    if (this.tamper === "duplicate" && hit) await this.inner.append(event, owner);
    if (this.tamper === "swap" && hit) {
      this.#held = event;
      return;
    }
    await this.inner.append(event, owner);
    if (this.#held !== undefined && this.tamper === "swap") {
      const held = this.#held;
      this.#held = undefined;
      await this.inner.append(held, owner);
    }
  }
}

async function runThrough(sink: TamperingSink): Promise<RunEvent[]> {
  const { factory } = suiteFactory({ sink });
  const handle = factory.start({ userId: "breaker", threadId: "t", request: REQUEST });
  await handle.done;
  return [...sink.inner.events(handle.runId, "breaker")];
}

describe("the invariant checker catches a broken stream", () => {
  it("passes the untampered stream", async () => {
    const { factory, sink } = suiteFactory();
    const handle = factory.start({ userId: "breaker", threadId: "t", request: REQUEST });
    await handle.done;
    expect(checkRunInvariants(sink.events(handle.runId, "breaker"))).toEqual([]);
  });

  it("detects a sink that drops an event", async () => {
    const violations = checkRunInvariants(await runThrough(new TamperingSink("drop")));
    expect(violations.join("\n")).toMatch(/gap, repeat or reorder/);
  });

  it("detects a sink that stores an event twice", async () => {
    const violations = checkRunInvariants(await runThrough(new TamperingSink("duplicate")));
    expect(violations.join("\n")).toMatch(/event_id .* repeats/);
  });

  it("detects a sink that reorders two events", async () => {
    const violations = checkRunInvariants(await runThrough(new TamperingSink("swap", 3)));
    expect(violations.join("\n")).toMatch(/seq 4 at position 3/);
  });

  it("detects a lost terminal event", async () => {
    const violations = checkRunInvariants(await runThrough(new TamperingSink("drop_terminal")));
    expect(violations).toContain("0 terminal events, expected exactly 1");
  });

  it("detects an unpaired tool call and an agent event outside its span", async () => {
    const { factory, sink } = suiteFactory();
    const handle = factory.start({ userId: "breaker", threadId: "t", request: REQUEST });
    await handle.done;
    const good = sink.events(handle.runId, "breaker");
    const firstCompletion = good.findIndex((e) => e.type === EventType.TOOL_COMPLETED);
    const renumber = (events: RunEvent[]) => events.map((e, i) => ({ ...e, seq: i + 1 }) as RunEvent);
    const unpaired = renumber(good.filter((_, i) => i !== firstCompletion));
    expect(checkRunInvariants(unpaired).join("\n")).toMatch(/ended with 1 tool call\(s\) still open/);
    const lastAgentEvent = good.findLastIndex((e) => e.type === EventType.AGENT_COMPLETED);
    const stray = { ...good[firstCompletion]! } as RunEvent;
    const outside = renumber([...good.slice(0, lastAgentEvent + 1), stray, ...good.slice(lastAgentEvent + 1)]);
    expect(checkRunInvariants(outside).join("\n")).toMatch(/outside its agent span/);
  });

  it("detects events delivered to the wrong user", async () => {
    // A sink that delivers every event to every listener: the bug a shared broadcast would be.
    class BroadcastSink extends MemoryEventSink {
      readonly #all: ((e: RunEvent) => void)[] = [];
      override subscribe(owner: string, listener: (e: RunEvent) => void): () => void {
        this.#all.push(listener);
        return super.subscribe(owner, () => undefined);
      }
      override async append(event: RunEvent, owner: string): Promise<void> {
        await super.append(event, owner);
        for (const listener of this.#all) listener(event);
      }
    }
    const sink = new BroadcastSink();
    const { factory } = suiteFactory({ sink });
    const users = ["u1", "u2"].map((userId) => ({ userId, marker: `${userId}-mark`, received: [] as RunEvent[] }));
    users.forEach((u) => sink.subscribe(u.userId, (e) => u.received.push(e)));
    const handles = users.map((u) => factory.start({ userId: u.userId, threadId: "t", request: `marker=${u.marker} big-model 1 1` }));
    await Promise.all(handles.map((h) => h.done));
    const leaks = crossUserLeaks(users[0]!.received, new Set([handles[0]!.runId]), users[0]!.marker, users.map((u) => u.marker));
    expect(leaks.length).toBeGreaterThan(0);
    expect(leaks.join("\n")).toMatch(/u2-mark/);
  });
});
