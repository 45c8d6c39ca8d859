// The node's run queue: admission up to the in-flight limit, the rest in a fair line (users take turns, each user's
// runs in their order), bounded, with places told to watchers at most once per tick. Today every run is admitted at
// once, so a burst makes everyone wait for everyone; these are the rules that replace that.
import { afterEach, describe, expect, it, vi } from "vitest";
import { isApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { RunQueue, type Ticket } from "./run-queue.ts";

afterEach(() => {
  vi.useRealTimers();
});

/** Enters `runs` ([user, run] pairs) and records the order in which they are admitted. */
function enterAll(queue: RunQueue, runs: readonly [string, string][]): { tickets: Map<string, Ticket>; admitted: string[] } {
  const admitted: string[] = [];
  const tickets = new Map<string, Ticket>();
  for (const [user, run] of runs) {
    const ticket = queue.enter(user, run);
    tickets.set(run, ticket);
    void ticket.admitted.then(() => admitted.push(run));
  }
  return { tickets, admitted };
}

/** Lets the admissions' callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Ends runs in the order they were admitted, one at a time, until none is left. */
async function runOneByOne(queue: RunQueue, admitted: string[]): Promise<void> {
  await settle();
  for (let i = 0; i < admitted.length; i += 1) {
    queue.release(admitted[i] ?? "");
    await settle();
  }
}

describe("admission", () => {
  it("admits runs at once while slots are free, then queues them with their places", () => {
    const queue = new RunQueue({ maxInFlight: 2, maxQueued: 10 });
    const { tickets } = enterAll(queue, [["a", "a1"], ["b", "b1"], ["c", "c1"], ["d", "d1"]]);
    expect([...tickets.values()].map((t) => t.position)).toEqual([0, 0, 1, 2]);
    expect([queue.inFlight, queue.waiting]).toEqual([2, 2]);
    expect(queue.position("c1")).toBe(1);
    expect(queue.position("a1")).toBeUndefined(); // in flight, not waiting
  });

  it("takes users in turn: A's five messages and B's and C's one each start A, B, C, A, A, A, A", async () => {
    const queue = new RunQueue({ maxInFlight: 1, maxQueued: 10 });
    const runs: [string, string][] = [["a", "a1"], ["a", "a2"], ["a", "a3"], ["a", "a4"], ["a", "a5"], ["b", "b1"], ["c", "c1"]];
    const { tickets, admitted } = enterAll(queue, runs);
    expect(runs.map(([, run]) => tickets.get(run)?.position)).toEqual([0, 1, 2, 3, 4, 1, 2]); // places when each entered
    expect(["a2", "a5", "b1", "c1"].map((run) => queue.position(run))).toEqual([3, 6, 1, 2]); // B and C went ahead of A's 2nd
    await runOneByOne(queue, admitted);
    expect(admitted).toEqual(["a1", "b1", "c1", "a2", "a3", "a4", "a5"]);
  });

  it("keeps each user's own runs in the order they were sent, interleaved with the others' turns", async () => {
    const queue = new RunQueue({ maxInFlight: 1, maxQueued: 10 });
    const { admitted } = enterAll(queue, [["x", "x0"], ["a", "a1"], ["a", "a2"], ["b", "b1"], ["b", "b2"], ["a", "a3"], ["c", "c1"]]);
    await runOneByOne(queue, admitted);
    expect(admitted).toEqual(["x0", "a1", "b1", "c1", "a2", "b2", "a3"]);
  });

  it("lets a newcomer go before a user's later runs, and a user back from idle start from the current round", async () => {
    const queue = new RunQueue({ maxInFlight: 1, maxQueued: 10 });
    const { admitted } = enterAll(queue, [["a", "a1"], ["a", "a2"], ["a", "a3"]]);
    queue.release("a1");
    await settle();
    expect(admitted).toEqual(["a1", "a2"]);
    const late = enterAll(queue, [["b", "b1"]]);
    expect(late.tickets.get("b1")?.position).toBe(1); // before a3, which is in A's third round
    queue.release("a2");
    await settle();
    expect(late.admitted).toEqual(["b1"]);
  });

  it("admits everything at once without a limit", () => {
    const queue = new RunQueue({ maxInFlight: Number.POSITIVE_INFINITY, maxQueued: 0 });
    const { tickets } = enterAll(queue, Array.from({ length: 500 }, (_, i): [string, string] => [`u${i % 7}`, `r${i}`]));
    expect([...tickets.values()].every((t) => t.position === 0)).toBe(true);
    expect(queue.inFlight).toBe(500);
  });
});

describe("bounds and endings", () => {
  it("refuses a run past the line's length with server_busy, and takes one again once the line moves", () => {
    const queue = new RunQueue({ maxInFlight: 1, maxQueued: 2 });
    enterAll(queue, [["a", "a1"], ["b", "b1"], ["c", "c1"]]);
    let refused: unknown;
    try {
      queue.enter("d", "d1");
    } catch (error) {
      refused = error;
    }
    expect(isApexError(refused) && refused.code).toBe(ErrorCode.SERVER_BUSY);
    expect(isApexError(refused) && refused.retryable).toBe(true);
    expect(queue.waiting).toBe(2);
    queue.release("a1");
    expect(queue.enter("d", "d1").position).toBe(2);
  });

  it("takes a withdrawn (cancelled) run out of line: it is never admitted and the runs behind it move up", async () => {
    const queue = new RunQueue({ maxInFlight: 1, maxQueued: 10 });
    const { admitted } = enterAll(queue, [["a", "a1"], ["b", "b1"], ["c", "c1"]]);
    expect(queue.withdraw("b1")).toBe(true);
    expect(queue.withdraw("b1")).toBe(false);
    expect(queue.withdraw("a1")).toBe(false); // in flight: only its end frees the slot
    expect(queue.position("c1")).toBe(1);
    await runOneByOne(queue, admitted);
    expect(admitted).toEqual(["a1", "c1"]);
  });

  it("admits nothing more once closed (shutdown), while the runs in flight still end", async () => {
    const queue = new RunQueue({ maxInFlight: 1, maxQueued: 10 });
    const { admitted } = enterAll(queue, [["a", "a1"], ["b", "b1"]]);
    queue.close();
    queue.release("a1");
    await settle();
    expect(admitted).toEqual(["a1"]);
    expect([queue.inFlight, queue.waiting]).toEqual([0, 1]);
    queue.release("b1"); // the launcher ends it cancelled
    expect(queue.waiting).toBe(0);
  });

  it("rejects a limit that is not a whole number", () => {
    expect(() => new RunQueue({ maxInFlight: 0, maxQueued: 1 })).toThrow(/whole number/);
    expect(() => new RunQueue({ maxInFlight: 2, maxQueued: 1.5 })).toThrow(/whole number/);
  });
});

describe("places told to watchers", () => {
  it("tells each waiting run's new place at most once per tick, and nothing once it is admitted", async () => {
    vi.useFakeTimers();
    const queue = new RunQueue({ maxInFlight: 1, maxQueued: 10, notifyMs: 250 });
    enterAll(queue, [["a", "a1"], ["b", "b1"], ["c", "c1"], ["d", "d1"]]);
    const told: Record<string, number[]> = { b1: [], c1: [], d1: [] };
    for (const run of Object.keys(told)) queue.watch(run, (place) => told[run]?.push(place));
    expect(queue.watch("a1", () => undefined)).toBeTypeOf("function"); // not waiting: nothing to tell

    queue.release("a1"); // b1 starts; c1 and d1 move up
    queue.withdraw("c1"); // d1 moves up again within the same tick
    expect(told).toEqual({ b1: [], c1: [], d1: [] });
    await vi.advanceTimersByTimeAsync(250);
    expect(told).toEqual({ b1: [], c1: [], d1: [1] });
    await vi.advanceTimersByTimeAsync(1000);
    expect(told.d1).toEqual([1]); // unchanged: not told again
  });

  it("stops telling a watcher that unwatched", async () => {
    vi.useFakeTimers();
    const queue = new RunQueue({ maxInFlight: 1, maxQueued: 10, notifyMs: 250 });
    enterAll(queue, [["a", "a1"], ["b", "b1"], ["c", "c1"]]);
    const told: number[] = [];
    const stop = queue.watch("c1", (place) => told.push(place));
    stop();
    queue.withdraw("b1");
    await vi.advanceTimersByTimeAsync(500);
    expect(told).toEqual([]);
  });
});
