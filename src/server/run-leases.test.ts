// Run leases on a real store (PGlite always, PostgreSQL when DATABASE_URL is set): a held run stays alive past its
// TTL, a released one lapses and the sweeper closes it as interrupted, exactly once across two racing nodes, but only
// when its lease stayed lapsed a grace period after the sweeper first saw it (a live node renews in that time once a
// database blip is over). A node that finds its run closed by another stops it; one whose run ended unlogged closes it
// itself, with the real reason.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../bus/memory-bus.ts";
import { ErrorCode, EventType } from "../protocol/names.ts";
import { uuidv7 } from "../runtime/ids.ts";
import { storeTargets, type DisposableDatabase } from "../store/disposable-database.ts";
import { EventLog } from "../store/event-log.ts";
import { RunRepository } from "../store/runs.ts";
import { seedTwoOwners } from "../store/two-owners.ts";
import { RunLeases } from "./run-leases.ts";

const LEASE_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(storeTargets())("run leases on $name", (target) => {
  let scratch: DisposableDatabase;
  let runs: RunRepository;
  let log: EventLog;
  let owner = "";
  let thread = "";
  const leasesOf = (nodeId: string) => new RunLeases({ runs, log, nodeId, leaseMs: LEASE_MS, renewMs: 60, sweepMs: 80 });

  beforeAll(async () => {
    scratch = await target.create();
    runs = new RunRepository(scratch.database.db);
    log = new EventLog({ db: scratch.database.db, bus: new MemoryBus(), newEventId: uuidv7 });
    ({ alice: owner, thread } = await seedTwoOwners(scratch.database.db));
  });
  afterAll(async () => {
    await log.close();
    await scratch.drop();
  });

  it("renews a held run past its TTL, and sweeps it as interrupted once released and lapsed", async () => {
    const mine = leasesOf("node-1");
    const other = leasesOf("node-2");
    const run = await runs.create({ ownerId: owner, threadId: thread, request: "held", nodeId: mine.nodeId, leaseMs: LEASE_MS });
    const release = mine.hold(run.id);
    mine.start();
    other.start();
    await sleep(LEASE_MS * 3);
    expect((await runs.get(owner, run.id))?.endedAt).toBeNull(); // alive: renewed all along, swept by nobody

    release();
    await expect.poll(async () => (await runs.get(owner, run.id))?.status, { timeout: 5_000 }).toBe("failed");
    await mine.stop();
    await other.stop();
    const events = await log.read(run.id, owner);
    expect(events.map((e) => e.type)).toEqual([EventType.RUN_STARTED, EventType.RUN_FAILED]);
    expect(events[1]).toMatchObject({ seq: 2, data: { error: { code: ErrorCode.INTERRUPTED } } });
  });

  it("never sweeps a run it executes itself, even when a renewal ran late; another node does", async () => {
    const mine = leasesOf("node-1");
    const run = await runs.create({ ownerId: owner, threadId: thread, request: "late renewal", nodeId: mine.nodeId, leaseMs: LEASE_MS });
    mine.hold(run.id); // renewals are not started: the lease lapses while the run executes here
    await sleep(LEASE_MS + 50);
    const other = leasesOf("node-2");
    expect(await mine.sweep()).toEqual([]);
    expect(await other.sweep()).toEqual([]); // first seen lapsed: its node gets a grace period to renew it
    await sleep(other.graceMs + 20);
    expect(await mine.sweep()).toEqual([]);
    expect((await runs.get(owner, run.id))?.endedAt).toBeNull();
    expect(await other.sweep()).toContain(run.id);
  });

  it("cannot keep alive another node's run, and two racing sweeps close a dead run exactly once", async () => {
    const dead = await runs.create({ ownerId: owner, threadId: thread, request: "dead", nodeId: "gone", leaseMs: LEASE_MS });
    const mine = leasesOf("node-1");
    mine.hold(dead.id); // not this node's run: its renewals are refused, so the lease lapses all the same
    for (let i = 0; i < 4; i += 1) {
      await mine.renew();
      await sleep(LEASE_MS / 3);
    }
    // Each node has its own event log (one group-commit queue per process), as in a real cluster.
    const logs = [1, 2].map(() => new EventLog({ db: scratch.database.db, bus: new MemoryBus(), newEventId: uuidv7 }));
    const sweepers = logs.map((nodeLog, i) => new RunLeases({ runs, log: nodeLog, nodeId: `node-${i + 2}`, leaseMs: LEASE_MS, renewMs: 60, sweepMs: 80 }));
    await Promise.all(sweepers.map((sweeper) => sweeper.sweep())); // each first sees it lapsed
    await sleep((sweepers[0]?.graceMs ?? 0) + 20);
    const [first = [], second = []] = await Promise.all(sweepers.map((sweeper) => sweeper.sweep()));
    for (const nodeLog of logs) await nodeLog.close();
    expect([...first, ...second].filter((id) => id === dead.id)).toHaveLength(1);
    expect((await log.read(dead.id, owner)).map((e) => e.type)).toEqual([EventType.RUN_STARTED, EventType.RUN_FAILED]);
    expect(await runs.renewLease(dead.id, "gone", LEASE_MS)).toBe(false); // ended: a late renewal changes nothing
  });

  it("leaves alone a run whose node renews it within the grace period after a lapse (a database blip)", async () => {
    const alive = leasesOf("node-1");
    const run = await runs.create({ ownerId: owner, threadId: thread, request: "blip", nodeId: alive.nodeId, leaseMs: LEASE_MS });
    alive.hold(run.id);
    await sleep(LEASE_MS + 50); // no renewal got through: the lease lapsed, as in an outage
    const sweeper = leasesOf("node-2");
    expect(await sweeper.sweep()).toEqual([]);
    await alive.renew(); // the database is back: the live node renews at once
    await sleep(sweeper.graceMs + 20);
    expect(await sweeper.sweep()).toEqual([]);
    expect((await runs.get(owner, run.id))?.endedAt).toBeNull();
  });

  it("stops a run it holds when another node closed it, and closes a run that ended unlogged with the real reason", async () => {
    const mine = leasesOf("node-1");
    const lost = await runs.create({ ownerId: owner, threadId: thread, request: "lost", nodeId: mine.nodeId, leaseMs: LEASE_MS });
    let stopped = 0;
    mine.hold(lost.id, () => (stopped += 1));
    await sleep(LEASE_MS + 50);
    expect(await log.closeInterrupted(lost.id)).toBe(true); // another node's sweeper, while this one was cut off
    expect(await mine.renew()).toBe(true);
    expect([stopped, mine.holds(lost.id)]).toEqual([1, false]);

    const unlogged = await runs.create({ ownerId: owner, threadId: thread, request: "unlogged", nodeId: mine.nodeId, leaseMs: 60_000 });
    const release = mine.hold(unlogged.id);
    const reason = { code: ErrorCode.DATABASE_UNAVAILABLE, message: "The database was unreachable for too long." };
    mine.settle(unlogged.id, reason);
    release(); // the run's end released it; the node keeps it until its end is logged
    expect(mine.holds(unlogged.id)).toBe(true);
    expect(await mine.renew()).toBe(true);
    expect(mine.holds(unlogged.id)).toBe(false);
    expect((await log.read(unlogged.id, owner)).map((e) => [e.type, e.type === EventType.RUN_FAILED ? e.data.error : null])).toEqual([[EventType.RUN_STARTED, null], [EventType.RUN_FAILED, reason]]);
    expect(await runs.get(owner, unlogged.id)).toMatchObject({ status: "failed", error: reason });
  });
});
