// Retention of finished runs over a real run: a run older than the retention keeps its row, its final report and its
// terminal event, and loses the rest of its log; younger runs are untouched; one node at a time (advisory lock).
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunEvent } from "../../src/protocol/events.ts";
import { EventType } from "../../src/protocol/names.ts";
import { Retention } from "../../src/server/retention.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { compactEndedRuns, RETENTION_LOCK_KEY } from "../../src/store/retention.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { RunStatus } from "../../src/store/schema.ts";
import { startSignedIn, type TestServer } from "./test-server.ts";
import { runOverSocket } from "./socket-run.ts";

const USER = { email: "retention@example.com", password: "retention-password-1" };
const DAY_MS = 86_400_000;

describe.each(storeTargets())("retention of finished runs on $name", (target) => {
  let server: TestServer;
  let token = "";
  let userId = "";

  beforeAll(async () => {
    ({ server, token, userId } = await startSignedIn(target, USER));
  });

  afterAll(async () => {
    await server.stop();
  });

  async function finishedRun(): Promise<RunEvent[]> {
    const { client, events } = await runOverSocket(server.url, token, "What did I spend last month?");
    await client.close();
    // Compaction looks at ended runs: wait until the launcher has closed the row.
    const runs = new RunRepository(server.app.database.db);
    await vi.waitFor(async () => expect((await runs.get(userId, events[0]!.run_id))?.endedAt).not.toBeNull());
    return events;
  }

  it("compacts a run that ended before the cut-off to its final report and terminal event, once", async () => {
    const events = await finishedRun();
    const runId = events[0]!.run_id;
    const kept = events.filter((e) => e.type === EventType.FINAL_REPORT || e.type === EventType.RUN_COMPLETED);
    expect(kept.map((e) => e.type)).toEqual([EventType.FINAL_REPORT, EventType.RUN_COMPLETED]);
    expect(events.length).toBeGreaterThan(kept.length);

    // A cut-off before the run ended leaves it whole.
    expect(await compactEndedRuns(server.app.database.db, new Date(Date.now() - DAY_MS))).toEqual({ runs: 0, events: 0 });
    expect(await server.app.log.read(runId, userId)).toHaveLength(events.length);

    const retention = new Retention({ db: server.app.database.db, runDays: 30, intervalMs: 60_000 });
    expect(await retention.pass(Date.now() + 31 * DAY_MS)).toEqual({ runs: 1, events: events.length - kept.length });
    expect(await server.app.log.read(runId, userId)).toEqual(kept);
    const run = await new RunRepository(server.app.database.db).get(userId, runId);
    expect(run?.status).toBe(RunStatus.COMPLETED);
    // Compacted runs are never touched again.
    expect(await retention.pass(Date.now() + 31 * DAY_MS)).toEqual({ runs: 0, events: 0 });
  });

  it("does nothing with retention off (0 days)", async () => {
    const retention = new Retention({ db: server.app.database.db, runDays: 0, intervalMs: 60_000 });
    expect(await retention.pass(Date.now() + 3650 * DAY_MS)).toBeNull();
  });

  it.runIf(target.name === "postgres")("skips the pass while another node holds the retention lock", async () => {
    const events = await finishedRun();
    const { db } = server.app.database;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked: () => void = () => undefined;
    const taken = new Promise<void>((resolve) => (locked = resolve));
    // Another node's pass in progress: a transaction holding the same lock.
    const other = db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${RETENTION_LOCK_KEY})`);
      locked();
      await held;
    });
    await taken;
    expect(await compactEndedRuns(db, new Date(Date.now() + DAY_MS))).toBeNull();
    release();
    await other;
    expect((await compactEndedRuns(db, new Date(Date.now() + DAY_MS)))?.runs).toBe(1);
    expect(await server.app.log.read(events[0]!.run_id, userId)).toHaveLength(2);
  });
});
