// Run leases on a real store (PGlite always, PostgreSQL when DATABASE_URL is set): a held run stays alive past its
// TTL, a released one lapses and the sweeper closes it as interrupted, exactly once across two racing nodes.
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
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ seq: 1, type: EventType.RUN_FAILED, data: { error: { code: ErrorCode.INTERRUPTED } } });
  });

  it("never sweeps a run it executes itself, even when a renewal ran late; another node does", async () => {
    const mine = leasesOf("node-1");
    const run = await runs.create({ ownerId: owner, threadId: thread, request: "late renewal", nodeId: mine.nodeId, leaseMs: LEASE_MS });
    mine.hold(run.id); // renewals are not started: the lease lapses while the run executes here
    await sleep(LEASE_MS + 50);
    expect(await mine.sweep()).toEqual([]);
    expect((await runs.get(owner, run.id))?.endedAt).toBeNull();
    expect(await leasesOf("node-2").sweep()).toContain(run.id);
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
    const [first = [], second = []] = await Promise.all(sweepers.map((sweeper) => sweeper.sweep()));
    for (const nodeLog of logs) await nodeLog.close();
    expect([...first, ...second].filter((id) => id === dead.id)).toHaveLength(1);
    expect((await log.read(dead.id, owner)).map((e) => e.type)).toEqual([EventType.RUN_FAILED]);
    expect(await runs.renewLease(dead.id, "gone", LEASE_MS)).toBe(false); // ended: a late renewal changes nothing
  });
});
