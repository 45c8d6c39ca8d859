import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/names.ts";
import { storeTargets, type DisposableDatabase } from "./disposable-database.ts";
import { IngestLogRepository } from "./ingest-log.ts";
import { QuotaUsageRepository } from "./quota-usage.ts";
import { IngestStatus } from "./schema.ts";
import { seedTwoOwners } from "./two-owners.ts";

const DAY_MS = 86_400_000;
const LEASE_MS = 60_000;
const QUOTA = { limit: 1_000, windowMs: DAY_MS, leaseMs: LEASE_MS };

describe.each(storeTargets())("IngestLogRepository on $name", (target) => {
  let scratch: DisposableDatabase;
  let log: IngestLogRepository;
  let alice: string;
  let mallory: string;
  const used = async (owner: string) => (await new QuotaUsageRepository(scratch.database.db).ingestsWithin(owner, DAY_MS)).reduce((s, u) => s + u.amount, 0);
  const begin = (ownerId: string, corpus: string, nodeId = "node-a") => log.begin({ ownerId, corpus, nodeId, leaseMs: LEASE_MS });

  beforeAll(async () => {
    scratch = await target.create();
    ({ alice, mallory } = await seedTwoOwners(scratch.database.db));
    log = new IngestLogRepository(scratch.database.db);
  });
  afterAll(() => scratch.drop());

  it("grants parallel reservations no more than the quota altogether, and gives back what was not kept", async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => begin(alice, `part-${i}`)));
    const grants = await Promise.all(ids.map((id) => log.reserve(id, alice, 300, QUOTA)));
    expect(grants.reduce((sum, r) => sum + r.granted, 0)).toBe(1_000);
    expect(await used(alice)).toBe(1_000);
    // The last reservation sees every other one: the window it reports is full.
    const last = grants.find((r) => r.granted < 300)!;
    expect(last.uses.reduce((s, u) => s + u.amount, 0)).toBe(1_000);
    expect(await used(mallory)).toBe(0); // one owner's quota is not another's
    // Which ingest got what depends on the order the lock was taken in; one granted in full gives back duplicates.
    const whole = ids[grants.findIndex((r) => r.granted === 300)]!;
    await log.release(whole, 100); // duplicates, not written
    expect(await used(alice)).toBe(900);
    expect((await log.reserve(whole, alice, 300, QUOTA)).granted).toBe(100);
    expect((await log.reserve(whole, alice, 300, { ...QUOTA, limit: 0 })).granted).toBe(300); // no limit
  });

  it("ends an ingest complete or partial at the records it kept; one that kept nothing leaves no trace", async () => {
    const done = await begin(mallory, "logs");
    await log.reserve(done, mallory, 500, QUOTA);
    await log.finish(done, { status: IngestStatus.COMPLETE, records: 420 });
    expect(await used(mallory)).toBe(420);
    const cut = await begin(mallory, "logs");
    await log.reserve(cut, mallory, 500, QUOTA);
    await log.finish(cut, { status: IngestStatus.PARTIAL, records: 80, errorCode: ErrorCode.CORRUPT_FILE });
    expect(await used(mallory)).toBe(500);
    expect((await log.latestByCorpus(mallory)).get("logs")).toMatchObject({ status: IngestStatus.PARTIAL, records: 80, errorCode: ErrorCode.CORRUPT_FILE });
    const refused = await begin(mallory, "logs");
    await log.discard(refused);
    expect((await log.latestByCorpus(mallory, "logs")).get("logs")?.status).toBe(IngestStatus.PARTIAL);
    const again = await begin(mallory, "logs");
    expect((await log.latestByCorpus(mallory)).get("logs")?.status).toBe(IngestStatus.RUNNING);
    await log.finish(again, { status: IngestStatus.COMPLETE, records: 0 });
    expect((await log.latestByCorpus(mallory)).get("logs")?.status).toBe(IngestStatus.COMPLETE);
  });

  it("closes as partial the running ingests whose lease lapsed (a dead node), not the live ones", async () => {
    const dead = await begin(mallory, "dead", "dead-node");
    const live = await begin(mallory, "live", "node-a");
    await scratch.database.db.execute(sql`update ingest_log set lease_expires_at = now() - interval '1 second' where id = ${dead}`);
    expect(await log.endAbandoned(ErrorCode.INTERRUPTED)).toBe(1);
    const states = await log.latestByCorpus(mallory);
    expect(states.get("dead")).toMatchObject({ status: IngestStatus.PARTIAL, errorCode: ErrorCode.INTERRUPTED });
    expect(states.get("live")?.status).toBe(IngestStatus.RUNNING);
    expect(await log.renew(live, "node-a", LEASE_MS)).toBe(true);
    expect(await log.renew(dead, "dead-node", LEASE_MS)).toBe(false); // closed: its node no longer holds it
    expect(await log.renew(live, "node-b", LEASE_MS)).toBe(false);
    // A node that owns the store alone closes every running one at start-up.
    expect(await log.endAbandoned(ErrorCode.INTERRUPTED, { everyRunning: true })).toBeGreaterThanOrEqual(1); // alice's are running too
    expect((await log.latestByCorpus(mallory)).get("live")?.status).toBe(IngestStatus.PARTIAL);
  });

  it("follows a rename, and forgets a deleted corpus's state while still counting its records", async () => {
    const id = await begin(mallory, "march");
    await log.finish(id, { status: IngestStatus.PARTIAL, records: 7, errorCode: ErrorCode.QUOTA_EXCEEDED });
    await log.renameCorpus(mallory, "march", "april");
    const states = await log.latestByCorpus(mallory);
    expect(states.has("march")).toBe(false);
    expect(states.get("april")?.records).toBe(7);
    const before = await used(mallory);
    await log.forgetCorpus(mallory, "april");
    expect((await log.latestByCorpus(mallory)).has("april")).toBe(false);
    expect(await used(mallory)).toBe(before);
  });
});
