// The node's run queue over a real server with one run in flight at a time: messages sent while a run is in flight
// are acked with their place (`queue_position`) and told it again in `run_queued` frames (no seq, not logged), start
// one after another, and each run's log keeps the protocol's invariants with run_started at seq 1. A waiting run can
// be cancelled (run_started then run_cancelled, its place given up), the line is bounded (`server_busy`), and a
// shutdown cancels what still waits, truthfully. Before the queue every message started a run at once (ack without a
// place, no run_queued, runs overlapping). The first user's run holds the only slot by asking for approval of a large
// synthetic data job: it waits for the answer (or a cancel) while the others arrive.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/protocol/events.ts";
import { CancelledBy, ClientCommand, ControlFrame, Decision, EnvVar, ErrorCode, EventType, RoutePath, TERMINAL_EVENTS } from "../../src/protocol/names.ts";
import { uuidv7 } from "../../src/runtime/ids.ts";
import { openDatabase } from "../../src/store/database.ts";
import { storeTargets, type StoreTarget } from "../../src/store/disposable-database.ts";
import { EventLog } from "../../src/store/event-log.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { get, post, startServer, type TestServer } from "./test-server.ts";
import { TestClient, type Frame } from "./ws-client.ts";

const QUESTION = "Where can I cut my LLM costs?";
/** A run that waits for the user's approval (up to the approval TTL) before it goes on. */
const HOLD = "generate 300k records of a saas workload into dataset held";

interface QueueNode<N extends string> {
  server: TestServer;
  /** Signed-in sockets of distinct users, by name. */
  clients: Record<N, TestClient>;
  tokens: Record<N, string>;
  ids: Record<N, string>;
  stop(): Promise<void>;
}

async function startNode<N extends string>(target: StoreTarget, users: readonly N[], env: Record<string, string>): Promise<QueueNode<N>> {
  const server = await startServer(target, { [EnvVar.MAX_RUNS_IN_FLIGHT]: "1", ...env });
  const clients = {} as Record<N, TestClient>;
  const tokens = {} as Record<N, string>;
  const ids = {} as Record<N, string>;
  for (const name of users) {
    const account = { email: `${name}@example.com`, password: `${name}-password-1` };
    ids[name] = (await server.app.auth.createUser(account.email, account.password)).id;
    const token = String((await post(server.url + RoutePath.AUTH_LOGIN, account)).body.token);
    const client = TestClient.open(server.url, token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    [tokens[name], clients[name]] = [token, client];
  }
  return {
    server,
    clients,
    tokens,
    ids,
    async stop() {
      for (const client of Object.values<TestClient>(clients)) client.socket.terminate();
      await server.stop();
    },
  };
}

function ask(client: TestClient, id: string, text = QUESTION): Promise<Frame> {
  client.send({ type: ClientCommand.USER_MESSAGE, id, text });
  return client.next((f) => f.id === id);
}

/** Starts a run that holds the only slot until it is answered or cancelled; resolves once it waits. */
async function hold(client: TestClient, id: string): Promise<{ runId: string; interruptId: string }> {
  const ack = await ask(client, id, HOLD);
  expect(ack).toMatchObject({ type: ControlFrame.ACK, queue_position: 0 });
  const runId = String(ack.run_id);
  const question = await client.next((f) => f.run_id === runId && f.type === EventType.AWAITING_INPUT);
  return { runId, interruptId: String((question.data as { interrupt_id: string }).interrupt_id) };
}

function placesOf(client: TestClient, runId: string): number[] {
  return client.frames.filter((f) => f.type === ControlFrame.RUN_QUEUED && f.run_id === runId).map((f) => Number(f.position));
}

/** The whole run as its socket got it, checked against protocol.md's invariants. */
async function wellFormed(client: TestClient, runId: string): Promise<RunEvent[]> {
  const events = await client.runToEnd(runId);
  expect(checkRunInvariants(events), `run ${runId}`).toEqual([]);
  expect(events[0]).toMatchObject({ type: EventType.RUN_STARTED, seq: 1 });
  // the place frames never carry a seq, and none comes once the run started
  const started = client.frames.findIndex((f) => f.run_id === runId && f.type === EventType.RUN_STARTED);
  expect(client.frames.slice(started).filter((f) => f.type === ControlFrame.RUN_QUEUED && f.run_id === runId)).toEqual([]);
  expect(client.frames.filter((f) => f.type === ControlFrame.RUN_QUEUED).every((f) => f.seq === undefined)).toBe(true);
  return events;
}

describe.each(storeTargets())("the run queue on $name, one run in flight", (target) => {
  let node: QueueNode<"ann" | "bob" | "cat" | "dan">;
  beforeAll(async () => {
    node = await startNode(target, ["ann", "bob", "cat", "dan"], { [EnvVar.MAX_QUEUED_RUNS]: "2" });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it("acks the messages that wait with their places, tells them in run_queued, and starts them one after another", async () => {
    const { ann, bob, cat } = node.clients;
    const held = await hold(ann, "a");
    const [b, c] = await Promise.all([ask(bob, "b"), ask(cat, "c")]);
    const waiting = [
      { client: bob, ack: b },
      { client: cat, ack: c },
    ].sort((x, y) => Number(x.ack.queue_position) - Number(y.ack.queue_position));
    expect(waiting.map((w) => w.ack.type)).toEqual([ControlFrame.ACK, ControlFrame.ACK]);
    expect(waiting.map((w) => w.ack.queue_position)).toEqual([1, 2]);
    for (const [i, { client, ack }] of waiting.entries()) {
      await client.next((f) => f.type === ControlFrame.RUN_QUEUED && f.run_id === ack.run_id);
      expect(placesOf(client, String(ack.run_id))[0]).toBe(i + 1);
      expect(client.events(String(ack.run_id))).toEqual([]); // nothing logged while it waits
    }

    ann.send({ type: ClientCommand.RESPOND, id: "no", interrupt_id: held.interruptId, decision: Decision.DECLINE });
    const runs = [await wellFormed(ann, held.runId), ...(await Promise.all(waiting.map(({ client, ack }) => wellFormed(client, String(ack.run_id)))))];
    for (const events of runs) expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    // one at a time, in the order of their places: each starts once the one before it has ended
    for (let i = 1; i < runs.length; i += 1) expect((runs[i]?.[0]?.ts ?? "") >= (runs[i - 1]?.at(-1)?.ts ?? "~")).toBe(true);
  });

  it("cancels a waiting run (run_started, then run_cancelled), moves the next one up, and refuses past the bound", async () => {
    const { ann, bob, cat, dan } = node.clients;
    const held = await hold(ann, "a2");
    const b = await ask(bob, "b2");
    const c = await ask(cat, "c2");
    expect([b.queue_position, c.queue_position]).toEqual([1, 2]);
    expect(await ask(dan, "d2")).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.SERVER_BUSY });

    bob.send({ type: ClientCommand.CANCEL_RUN, id: "stop-b2", run_id: b.run_id });
    expect(await bob.next((f) => f.id === "stop-b2")).toMatchObject({ type: ControlFrame.ACK, cancelled: true });
    const cancelled = await wellFormed(bob, String(b.run_id));
    expect(cancelled.map((e) => e.type)).toEqual([EventType.RUN_STARTED, EventType.RUN_CANCELLED]);
    expect(cancelled[1]?.data).toEqual({ by: CancelledBy.USER, at_agent: null });
    const row = async () => (await get(`${node.server.url}/api/runs/${String(b.run_id)}/events`, node.tokens.bob)).body.status;
    await expect.poll(row).toBe("cancelled");
    await expect.poll(() => placesOf(cat, String(c.run_id))).toEqual([2, 1]); // moved up, told within the tick
    const d = await ask(dan, "d3");
    expect(d.queue_position).toBe(2); // the line has room again

    ann.send({ type: ClientCommand.CANCEL_RUN, id: "stop-a2", run_id: held.runId });
    expect((await wellFormed(ann, held.runId)).at(-1)?.type).toBe(EventType.RUN_CANCELLED);
    const rest = await Promise.all([wellFormed(cat, String(c.run_id)), wellFormed(dan, String(d.run_id))]);
    for (const events of rest) expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
  });

  it("tells a socket that subscribes to a waiting run its place", async () => {
    const { ann, bob } = node.clients;
    const held = await hold(ann, "a4");
    const b = await ask(bob, "b4");
    const second = TestClient.open(node.server.url, node.tokens.bob);
    await second.next((f) => f.type === ControlFrame.WELCOME);
    second.send({ type: ClientCommand.SUBSCRIBE, id: "follow", run_id: b.run_id, after_seq: 0 });
    await second.next((f) => f.type === ControlFrame.REPLAY_COMPLETE && f.run_id === b.run_id);
    expect(await second.next((f) => f.type === ControlFrame.RUN_QUEUED)).toMatchObject({ run_id: b.run_id, position: 1 });
    ann.send({ type: ClientCommand.CANCEL_RUN, id: "stop-a4", run_id: held.runId });
    await wellFormed(ann, held.runId);
    expect((await wellFormed(second, String(b.run_id))).at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    second.socket.terminate();
  });
});

describe.each(storeTargets())("shutdown with runs waiting on $name", (target) => {
  it("cancels, as the server, the run in flight and the one still waiting, each log well-formed", async () => {
    // Our own database, read again once the node has stopped: its sockets close 1001 as the runs end, and a client
    // resumes elsewhere from the log, so the log is what must be whole (over Redis the last frames may miss the socket).
    const own = target.name === "postgres" ? await target.create() : undefined;
    const env = { [EnvVar.SHUTDOWN_DEADLINE_MS]: "300", ...(own?.url === undefined ? {} : { [EnvVar.DATABASE_URL]: own.url }) };
    const node = await startNode(target, ["eve", "fay"], env);
    const { eve, fay } = node.clients;
    const held = await hold(eve, "e");
    const waiting = await ask(fay, "f");
    expect(waiting.queue_position).toBe(1);
    await node.server.app.close();

    const reopened = await openDatabase(own?.url === undefined ? { dataDir: node.server.dataDir } : { databaseUrl: own.url });
    try {
      const log = new EventLog({ db: reopened.db, bus: { publish: async () => undefined }, newEventId: uuidv7 });
      for (const [runId, owner] of [
        [held.runId, node.ids.eve],
        [String(waiting.run_id), node.ids.fay],
      ] as const) {
        const events = await log.read(runId, owner);
        expect(checkRunInvariants(events), `run ${runId}`).toEqual([]);
        expect(events[0]).toMatchObject({ type: EventType.RUN_STARTED, seq: 1 });
        expect(events.at(-1)).toMatchObject({ type: EventType.RUN_CANCELLED, data: { by: CancelledBy.SERVER } });
        expect(events.filter((e) => TERMINAL_EVENTS.includes(e.type))).toHaveLength(1);
      }
      expect((await log.read(String(waiting.run_id), node.ids.fay)).map((e) => e.type)).toEqual([EventType.RUN_STARTED, EventType.RUN_CANCELLED]);
    } finally {
      await reopened.close();
      await node.stop();
      await own?.drop();
    }
  });
});
