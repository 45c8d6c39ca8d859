import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/protocol/events.ts";
import { EventType } from "../../src/protocol/names.ts";
import { checkRunInvariants, crossUserLeaks } from "./invariants.ts";
import { expectedTotal, suiteFactory } from "./suite-pipeline.ts";

// 200 users run the pipeline at the same time. Each request carries a marker unique to its user; agents pass it along
// through tools and the metadata store. Any shared state between requests would put one user's marker or numbers into
// another user's events.

const USERS = 200;

describe("per-user isolation under concurrency", () => {
  it(`${USERS} concurrent users each see only their own runs' events`, async () => {
    const { factory, sink } = suiteFactory({ maxConcurrentRunsPerUser: 2 });
    const users = Array.from({ length: USERS }, (_, i) => {
      const marker = `m${i}x${randomUUID().slice(0, 8)}`;
      const calls = [
        { model: "big-model", input: 100 + i, output: 10 + (i % 7) },
        { model: "mid-model", input: 50 * (i + 1), output: i },
      ];
      const request = `marker=${marker} ${calls.map((c) => `${c.model} ${c.input} ${c.output}`).join(" ")}`;
      return { userId: `user-${i}`, marker, calls, request, received: [] as RunEvent[] };
    });
    const unsubscribes = users.map((u) => sink.subscribe(u.userId, (event) => u.received.push(event)));

    const handles = users.map((u) => ({ user: u, handle: factory.start({ userId: u.userId, threadId: `thread-${u.userId}`, request: u.request }) }));
    const outcomes = await Promise.all(handles.map((h) => h.handle.done));
    unsubscribes.forEach((stop) => stop());

    expect(outcomes.every((o) => o.status === "completed")).toBe(true);
    const allMarkers = users.map((u) => u.marker);
    for (const { user, handle } of handles) {
      // live delivery: only this user's run, no other user's marker anywhere
      expect(crossUserLeaks(user.received, new Set([handle.runId]), user.marker, allMarkers)).toEqual([]);
      expect(user.received.length).toBeGreaterThan(10);
      expect(user.received.every((e) => e.thread_id === `thread-${user.userId}`)).toBe(true);
      // the stored log for the owner equals what was delivered, and is well-formed
      const logged = sink.events(handle.runId, user.userId);
      expect(logged).toEqual(user.received);
      expect(checkRunInvariants(logged)).toEqual([]);
      // this user's own marker and numbers made it through every agent
      expect(JSON.stringify(user.received)).toContain(user.marker);
      const report = user.received.find((e) => e.type === EventType.FINAL_REPORT);
      expect(report?.type === EventType.FINAL_REPORT && report.data.report.totals.cost_usd).toBeCloseTo(expectedTotal(user.calls), 12);
    }
    // another user asking for a run's log gets nothing, as if it did not exist
    const [first, second] = handles;
    expect(sink.events(first!.handle.runId, second!.user.userId)).toEqual([]);
    expect(factory.activeRuns(first!.user.userId)).toEqual([]);
  });
});
