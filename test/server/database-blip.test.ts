// A database blip on PostgreSQL loses no work and signs nobody out (issue 13, finding 8). The outage is real: the
// server's DATABASE_URL (and REDIS_URL) go through a TCP proxy the test cuts for a few seconds, so the shared services
// are never stopped. A run waiting for an approval across the outage is answered after it and completes, gapless, and
// no node sweeps it; meanwhile REST answers 503 database_unavailable with Retry-After, a WebSocket upgrade closes 1013
// (not 1008, which the UI reads as "sign in again"), and /ready names the stores that are down. The event log keeps
// appends in order through the outage, stores nothing twice, and closes a run truthfully when the outage outlasts it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBus } from "../../src/bus/memory-bus.ts";
import { sampleEvent } from "../../src/bus/sample-events.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { ClientCommand, ControlFrame, Decision, EnvVar, ErrorCode, EventType, RoutePath } from "../../src/protocol/names.ts";
import { uuidv7 } from "../../src/runtime/ids.ts";
import { RunLeases } from "../../src/server/run-leases.ts";
import { openDatabase, type Database } from "../../src/store/database.ts";
import { storeTargets, type DisposableDatabase, type StoreTarget } from "../../src/store/disposable-database.ts";
import { EventLog } from "../../src/store/event-log.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { RunStatus } from "../../src/store/schema.ts";
import { seedTwoOwners } from "../../src/store/two-owners.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { FlakyProxy } from "./flaky-proxy.ts";
import { startSignedIn, type TestServer } from "./test-server.ts";
import { TestClient, type Frame } from "./ws-client.ts";

const postgres = storeTargets().find((target) => target.name === "postgres");
const redisUrl = process.env[EnvVar.REDIS_URL];
const OUTAGE_MS = 3_000;
const LEASE_MS = 1_500;
const RENEW_MS = 300;
const USER = { email: "blip@example.com", password: "blip-password-1" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(postgres === undefined)("a database blip on PostgreSQL", () => {
  let scratch: DisposableDatabase;
  let db: FlakyProxy;

  beforeAll(async () => {
    scratch = await (postgres as StoreTarget).create();
    db = await FlakyProxy.start(scratch.url ?? "");
  });
  afterAll(async () => {
    await db.close();
    await scratch.drop();
  });

  describe("on a running server", () => {
    let server: TestServer;
    let token = "";
    let client: TestClient;
    let redis: FlakyProxy | undefined;
    let secondNode: { database: Database; log: EventLog; leases: RunLeases } | undefined;

    beforeAll(async () => {
      redis = redisUrl === undefined || redisUrl === "" ? undefined : await FlakyProxy.start(redisUrl);
      // The server's stores all go through the proxy; the scratch database's own pool stays direct, for the checks.
      const viaProxy: StoreTarget = {
        name: "postgres",
        create: async () => ({ database: scratch.database, url: db.via(scratch.url ?? ""), drop: async () => undefined }),
      };
      const env = {
        [EnvVar.LEASE_MS]: String(LEASE_MS),
        [EnvVar.LEASE_RENEW_MS]: String(RENEW_MS),
        [EnvVar.SWEEP_MS]: "100",
        [EnvVar.APPROVAL_TTL_MS]: "120000",
        ...(redis === undefined || redisUrl === undefined ? {} : { [EnvVar.REDIS_URL]: redis.via(redisUrl) }),
      };
      const signedIn = await startSignedIn(viaProxy, USER, env);
      ({ server, token } = signedIn);
      // A second node on the same database, sweeping often: it lives through the same outage.
      const database = await openDatabase({ databaseUrl: db.via(scratch.url ?? "") });
      const log = new EventLog({ db: database.db, bus: new MemoryBus(), newEventId: uuidv7 });
      const leases = new RunLeases({ runs: new RunRepository(database.db), log, nodeId: "second-node", leaseMs: LEASE_MS, renewMs: RENEW_MS, sweepMs: 40 });
      leases.start();
      secondNode = { database, log, leases };
      client = TestClient.open(server.url, token);
      await client.next((f) => f.type === ControlFrame.WELCOME);
    });
    afterAll(async () => {
      client.socket.terminate();
      await secondNode?.leases.stop();
      await secondNode?.log.close();
      await secondNode?.database.close();
      await server.stop();
      await redis?.close();
    });

    let frameId = 0;
    async function send(frame: Record<string, unknown>): Promise<Frame> {
      const id = `f${++frameId}`;
      client.send({ ...frame, id });
      return client.next((f) => f.id === id && (f.type === ControlFrame.ACK || f.type === ControlFrame.ERROR));
    }

    it("keeps a run waiting for approval alive through a 3 s outage; the answer after it is accepted and the run completes", async () => {
      const ack = await send({ type: ClientCommand.USER_MESSAGE, text: "generate 200k records of a saas workload into dataset blip-set" });
      const runId = String(ack.run_id);
      const question = await client.next((f) => f.run_id === runId && f.type === EventType.AWAITING_INPUT);
      const interruptId = (question.data as { interrupt_id: string }).interrupt_id;

      const started = Date.now();
      await db.cut();
      try {
        // REST: 503 database_unavailable with Retry-After, never a 500. (Soft: the run is checked whatever these say.)
        const rest = await fetch(server.url + RoutePath.THREADS, { headers: { authorization: `Bearer ${token}` } });
        const body = (await rest.json()) as { error: { code: string; message: string } };
        expect.soft(rest.status).toBe(503);
        expect.soft(body.error.code).toBe(ErrorCode.DATABASE_UNAVAILABLE);
        expect.soft(Number(rest.headers.get("retry-after"))).toBeGreaterThan(0);
        expect.soft(body.error.message).not.toMatch(/select|insert|params|127\.0\.0\.1/i);
        // WebSocket: the sign-in cannot be checked, which is not a refusal.
        const upgrade = await TestClient.open(server.url, token).closed;
        expect.soft(upgrade.code).toBe(1013);
        expect.soft(upgrade.reason).not.toMatch(/select|params|users/i);
        // /ready names what is down.
        const ready = await fetch(server.url + RoutePath.READY);
        expect.soft(ready.status).toBe(503);
        expect.soft(await ready.json()).toMatchObject({ status: "unavailable", database: false, usage_store: false, down: ["database", "usage_store"] });
        await sleep(Math.max(0, OUTAGE_MS - (Date.now() - started)));
      } finally {
        await db.restore();
      }

      expect(await send({ type: ClientCommand.RESPOND, interrupt_id: interruptId, decision: Decision.MODIFY, payload: { records: 2000 } })).toMatchObject({
        type: ControlFrame.ACK,
        status: "accepted",
      });
      const events: RunEvent[] = await client.runToEnd(runId);
      expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
      expect(checkRunInvariants(events)).toEqual([]);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      // Neither this node nor the other swept it, though its lease lapsed during the outage.
      const logged = await scratch.database.db.query.eventLog.findMany({ where: (t, { eq }) => eq(t.runId, runId) });
      expect(logged.map((row) => (row.envelope as RunEvent).type)).not.toContain(EventType.AGENT_ERROR);
      expect(logged).toHaveLength(events.length);
      // The row is ended just after the log's run_completed.
      const row = () => scratch.database.db.query.runs.findFirst({ where: (t, { eq }) => eq(t.id, runId) });
      await expect.poll(async () => (await row())?.status, { timeout: 10_000 }).toBe(RunStatus.COMPLETED);
      expect(await row()).toMatchObject({ error: null });
      await expect.poll(async () => (await fetch(server.url + RoutePath.READY)).status, { timeout: 10_000 }).toBe(200);
    }, 60_000);

    it.skipIf(redisUrl === undefined || redisUrl === "")("says in /ready that Redis is down, and ready again once it is back", async () => {
      await redis?.cut();
      try {
        const ready = await fetch(server.url + RoutePath.READY);
        expect(ready.status).toBe(503);
        const body = (await ready.json()) as Record<string, unknown>;
        expect(body).toMatchObject({ status: "unavailable", database: true, usage_store: true, bus: false, down: ["bus"] });
        expect(JSON.stringify(body)).not.toMatch(/redis:\/\/|127\.0\.0\.1/);
      } finally {
        await redis?.restore();
      }
      await expect.poll(async () => (await fetch(server.url + RoutePath.READY)).status, { timeout: 15_000 }).toBe(200);
    }, 30_000);
  });

  describe("when the outage outlasts the retries", () => {
    let server: TestServer;
    let client: TestClient;

    beforeAll(async () => {
      const viaProxy: StoreTarget = {
        name: "postgres",
        create: async () => ({ database: scratch.database, url: db.via(scratch.url ?? ""), drop: async () => undefined }),
      };
      const env = {
        [EnvVar.LEASE_MS]: String(LEASE_MS),
        [EnvVar.LEASE_RENEW_MS]: String(RENEW_MS),
        [EnvVar.SWEEP_MS]: "100",
        [EnvVar.APPROVAL_TTL_MS]: "1500",
        [EnvVar.DATABASE_RETRY_MS]: "1000",
      };
      const signedIn = await startSignedIn(viaProxy, { email: "long-blip@example.com", password: USER.password }, env);
      server = signedIn.server;
      client = TestClient.open(server.url, signedIn.token);
      await client.next((f) => f.type === ControlFrame.WELCOME);
    });
    afterAll(async () => {
      client.socket.terminate();
      await server.stop();
    });

    it("fails the run with database_unavailable, logged by its own node once the database is back, never as a stopped server", async () => {
      client.send({ type: ClientCommand.USER_MESSAGE, id: "long", text: "generate 200k records of a saas workload into dataset long-blip" });
      const runId = String((await client.next((f) => f.id === "long")).run_id);
      await client.next((f) => f.run_id === runId && f.type === EventType.AWAITING_INPUT);
      // Longer than the question lives and than the retries last: the run cannot go on, nor log its end meanwhile.
      await db.outage(4_000);
      const row = () => scratch.database.db.query.runs.findFirst({ where: (t, { eq }) => eq(t.id, runId) });
      await expect.poll(async () => (await row())?.status, { timeout: 15_000 }).toBe(RunStatus.FAILED);
      expect((await row())?.error).toMatchObject({ code: ErrorCode.DATABASE_UNAVAILABLE });
      const logged = (await scratch.database.db.query.eventLog.findMany({ where: (t, { eq }) => eq(t.runId, runId) }))
        .map((r) => r.envelope as RunEvent)
        .sort((x, y) => x.seq - y.seq);
      expect(checkRunInvariants(logged)).toEqual([]);
      expect(logged.at(-1)).toMatchObject({ type: EventType.RUN_FAILED, data: { error: { code: ErrorCode.DATABASE_UNAVAILABLE } } });
      expect(JSON.stringify(logged)).not.toContain(ErrorCode.INTERRUPTED);
    }, 60_000);
  });

  describe("the event log", () => {
    let direct: RunRepository;
    let proxied: Database;
    let owner = "";
    let thread = "";

    beforeAll(async () => {
      direct = new RunRepository(scratch.database.db);
      proxied = await openDatabase({ databaseUrl: db.via(scratch.url ?? "") });
      ({ alice: owner, thread } = await seedTwoOwners(scratch.database.db));
    });
    afterAll(async () => {
      await proxied.close();
    });

    const newRun = async () => (await direct.create({ ownerId: owner, threadId: thread, request: "blip", nodeId: "this-node", leaseMs: 60_000 })).id;
    const eventOf = (runId: string, seq: number): RunEvent => ({ ...sampleEvent(runId, seq), event_id: uuidv7() });
    const seqsOf = async (runId: string) => (await scratch.database.db.query.eventLog.findMany({ where: (t, { eq }) => eq(t.runId, runId) })).map((r) => r.seq).sort((a, b) => a - b);

    it("commits every append made across a 3 s outage, in order, each once", async () => {
      const published: RunEvent[] = [];
      const log = new EventLog({ db: proxied.db, bus: { publish: async (events) => void published.push(...events) }, newEventId: uuidv7 });
      const runIds = await Promise.all([newRun(), newRun(), newRun()]);
      const EVENTS = 40;
      // Each run appends as its emitter does: the next event once the last is stored.
      const emitters = runIds.map(async (runId) => {
        for (let seq = 1; seq <= EVENTS; seq += 1) {
          await log.append(eventOf(runId, seq), owner);
          await sleep(15);
        }
      });
      await sleep(150);
      await db.outage(OUTAGE_MS);
      await Promise.all(emitters);
      await log.close();
      for (const runId of runIds) {
        const expected = Array.from({ length: EVENTS }, (_, i) => i + 1);
        expect(await seqsOf(runId)).toEqual(expected);
        expect(published.filter((e) => e.run_id === runId).map((e) => e.seq)).toEqual(expected);
      }
    }, 60_000);

    it("takes an event an earlier attempt already committed as stored, not as a taken seq", async () => {
      const log = new EventLog({ db: proxied.db, bus: new MemoryBus(), newEventId: uuidv7 });
      const runId = await newRun();
      const event = eventOf(runId, 1);
      // As if the INSERT committed and its answer was lost with the connection.
      const direct = new EventLog({ db: scratch.database.db, bus: new MemoryBus(), newEventId: uuidv7 });
      await direct.append(event, owner);
      await direct.close();
      await expect(log.append(event, owner)).resolves.toBeUndefined();
      await expect(log.append(eventOf(runId, 1), owner)).rejects.toMatchObject({ code: ErrorCode.INVALID_EVENT });
      await log.close();
      expect(await seqsOf(runId)).toEqual([1]);
    });

    it("fails with database_unavailable when the outage outlasts its retries, and the node then closes the run truthfully", async () => {
      const log = new EventLog({ db: proxied.db, bus: new MemoryBus(), newEventId: uuidv7, retryBudgetMs: 500 });
      const runId = await newRun();
      await log.append(eventOf(runId, 1), owner);
      await db.cut();
      const error = await log.append(eventOf(runId, 2), owner).catch((e: unknown) => e);
      await db.restore();
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ code: ErrorCode.DATABASE_UNAVAILABLE, retryable: true });
      expect((error as Error).message).not.toMatch(/insert|params|127\.0\.0\.1/i);
      const ending = { code: ErrorCode.DATABASE_UNAVAILABLE, message: "The database was unreachable for too long." };
      // Its lease is fresh (60 s): only its own node may close it now, and it says what really happened.
      expect(await log.closeInterrupted(runId)).toBe(false);
      expect(await log.closeInterrupted(runId, { nodeId: "this-node", error: ending })).toBe(true);
      await log.close();
      const events = await log.read(runId, owner);
      expect(events.at(-1)).toMatchObject({ type: EventType.RUN_FAILED, data: { error: ending } });
      expect(await direct.get(owner, runId)).toMatchObject({ status: RunStatus.FAILED, error: ending });
    }, 30_000);
  });
});
