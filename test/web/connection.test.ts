// The UI's socket and run store against a real apex server from Node (the `ws` package stands in for the browser's
// WebSocket): a reconnect mid-run resubscribes from the last applied seq, a lost frame is a gap that is repaired, replays
// are ignored, and the store ends with exactly the run's logged events. A 1008 close is final: no reconnect loop.
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { generateWorkload } from "../../src/analytics/generator/workload.ts";
import { ingestUsage } from "../../src/analytics/ingest.ts";
import { readUsageLines } from "../../src/analytics/read-usage.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { AgentName, ClientCommand, EnvVar, EventType, PROTOCOL_VERSION } from "../../src/protocol/names.ts";
import { uuidv7 } from "../../src/runtime/ids.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { ThreadRepository } from "../../src/store/threads.ts";
import { ApiClient } from "../../src/web/api.ts";
import { Connection, socketUrl, type ConnectionStatus, type SocketLike } from "../../src/web/connection.ts";
import { RunStore } from "../../src/web/run-store.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { startSignedIn, type TestServer } from "../server/test-server.ts";

const USER = { email: "web@example.com", password: "web-password-1" };
const QUESTION = "Where can I cut my LLM costs?";
const book = new PriceBook();
const FAST = { baseMs: 5, capMs: 20, random: () => 0 };

/** A `ws` socket in the browser's shape that records what it sends and can lose frames or the network on demand. */
class TestSocket implements SocketLike {
  static made: TestSocket[] = [];
  readonly inner: WebSocket;
  readonly sent: Record<string, unknown>[] = [];
  /** Frames the "network" loses: return true to drop one. */
  lose: (frame: Record<string, unknown>) => boolean = () => false;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  #cut = false;

  constructor(url: string, protocols: string[]) {
    this.inner = new WebSocket(url, protocols);
    TestSocket.made.push(this);
    this.inner.onmessage = (event) => {
      const text = String(event.data);
      if (this.#cut || this.lose(JSON.parse(text) as Record<string, unknown>)) return;
      this.onmessage?.({ data: text });
    };
    this.inner.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason });
    this.inner.onerror = (event) => this.onerror?.(event);
  }

  get readyState(): number {
    return this.#cut ? WebSocket.CLOSING : this.inner.readyState;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
    this.inner.send(data);
  }

  close(code?: number, reason?: string): void {
    this.inner.close(code, reason);
  }

  /** The network goes away: nothing more is delivered, and the socket closes abnormally (1006). */
  cutOff(): void {
    this.#cut = true;
    this.inner.terminate();
  }

  subscribes(runId: string): number[] {
    return this.sent.filter((f) => f.type === ClientCommand.SUBSCRIBE && f.run_id === runId).map((f) => Number(f.after_seq));
  }
}

function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe.each(storeTargets())("the web connection against a real server on $name", (target) => {
  let server: TestServer;
  let token = "";
  let userId = "";
  let api: ApiClient;
  const connections: Connection[] = [];

  /** A connection and store wired as the app wires them. */
  function follow(onApplied: (event: RunEvent, socket: TestSocket) => void = () => undefined) {
    const outcomes: string[] = [];
    const statuses: ConnectionStatus[] = [];
    const rejected: string[] = [];
    // eslint-disable-next-line prefer-const -- the store and the connection refer to each other
    let connection: Connection;
    const store = new RunStore({ onGap: (runId) => connection.resubscribe(runId), onFinished: (runId) => connection.unwatch(runId) });
    connection = new Connection({
      url: socketUrl(server.url),
      token,
      socket: TestSocket,
      lastSeq: (runId) => store.lastSeq(runId),
      onEvent: (event) => {
        const outcome = store.receive(event);
        outcomes.push(outcome);
        if (outcome === "applied") onApplied(event, TestSocket.made.at(-1)!);
      },
      onStatus: (status) => statuses.push(status),
      onRejected: (reason) => rejected.push(reason),
      backoff: FAST,
    });
    connections.push(connection);
    return { connection, store, outcomes, statuses, rejected };
  }

  beforeAll(async () => {
    ({ server, token, userId } = await startSignedIn(target, USER, { [EnvVar.SOCKET_BYTE_BUDGET]: String(256 * 1024) }));
    api = new ApiClient({ baseUrl: server.url, token: () => token });
    const workload = generateWorkload({ scenario: "saas", records: 600, days: 14, seed: 11, price: (r) => book.price(r).computed_cost_usd });
    const lines = [...workload.records()].map((r) => JSON.stringify(r));
    await ingestUsage(await readUsageLines(lines, { format: "canonical" }), server.app.usage, { owner: userId, corpus: "default", price: (r) => book.price(r) });
  });

  afterAll(async () => {
    for (const connection of connections) connection.close();
    await server.stop();
  });

  it("resubscribes after a reconnect mid-run from the last applied seq, repairs a lost frame, and ignores replays", async () => {
    TestSocket.made = [];
    const CUT_AT = 3;
    const LOST = 6;
    const { connection, store, outcomes, statuses } = follow((event, socket) => {
      // the network fails right after seq 3 was applied: nothing after it arrives on this socket
      if (event.seq === CUT_AT) socket.cutOff();
      // on the second socket, replay the whole run over the live one: every replayed event is a duplicate
      if (event.seq === LOST + 2) socket.inner.send(JSON.stringify({ type: ClientCommand.SUBSCRIBE, run_id: event.run_id, after_seq: 0 }));
    });
    await until(() => connection.status === "open", "the first welcome");
    const { runId } = await connection.ask(QUESTION);
    // the second socket loses seq 6 once: the next event is a gap, which resubscribes from 5
    let lostOnce = false;
    await until(() => TestSocket.made.length === 2, "the reconnect");
    TestSocket.made[1]!.lose = (frame) => {
      if (lostOnce || frame.run_id !== runId || frame.seq !== LOST) return false;
      lostOnce = true;
      return true;
    };
    await until(() => store.get(runId)?.status !== "running" && store.get(runId)?.status !== undefined, "the end of the run");

    const logged = await api.runEvents(runId);
    const run = store.get(runId)!;
    expect(run.events).toEqual(logged);
    expect(run.lastSeq).toBe(logged.length);
    expect(checkRunInvariants(run.events)).toEqual([]);
    expect(run.status).toBe("completed");
    expect(run.report?.opportunities.length).toBeGreaterThan(0);

    expect(statuses).toEqual(["open", "reconnecting", "open"]);
    expect(TestSocket.made[1]!.subscribes(runId)).toEqual([CUT_AT, LOST - 1]);
    expect(lostOnce).toBe(true);
    expect(outcomes).toContain("gap");
    expect(outcomes.filter((o) => o === "duplicate").length).toBeGreaterThanOrEqual(LOST);
    expect(outcomes.filter((o) => o === "applied").length).toBe(logged.length);
    // the finished run is no longer followed: a later reconnect does not resubscribe it
    expect(connection.watched.has(runId)).toBe(false);
  });

  it("resubscribes when the server says resync_required after it stopped buffering for a slow reader", async () => {
    TestSocket.made = [];
    const thread = await new ThreadRepository(server.app.database.db).create(userId, "slow");
    const row = await new RunRepository(server.app.database.db).create({ ownerId: userId, threadId: thread.id, request: "slow", nodeId: "web-test", leaseMs: 60_000 });
    const { connection, store, outcomes } = follow();
    await until(() => connection.status === "open", "the welcome");
    connection.watch(row.id);
    await until(() => TestSocket.made[0]!.subscribes(row.id).length === 1, "the subscribe");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const tcp = (TestSocket.made[0]!.inner as unknown as { _socket: Socket })._socket;
    tcp.pause();
    const total = 400;
    for (let seq = 1; seq <= total; seq += 1) {
      await server.app.log.append(
        {
          v: PROTOCOL_VERSION,
          type: EventType.PARTIAL_RESULT,
          event_id: uuidv7(),
          run_id: row.id,
          thread_id: thread.id,
          seq,
          ts: new Date().toISOString(),
          agent_name: AgentName.REPORT,
          data: { agent_name: AgentName.REPORT, content: `${seq}:`.padEnd(32 * 1024, "x") },
        },
        userId,
      );
    }
    tcp.resume();
    await until(() => store.lastSeq(row.id) === total, "all the events");
    expect(TestSocket.made[0]!.subscribes(row.id).length).toBeGreaterThanOrEqual(2);
    expect(store.get(row.id)!.events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(outcomes.filter((o) => o === "applied").length).toBe(total);
  });

  it("stops for good on a 1008 close (bad token) and says so, without a reconnect loop", async () => {
    TestSocket.made = [];
    const rejectedWith: string[] = [];
    const statuses: ConnectionStatus[] = [];
    const connection = new Connection({
      url: socketUrl(server.url),
      token: "not-a-token",
      socket: TestSocket,
      lastSeq: () => 0,
      onEvent: () => undefined,
      onStatus: (status) => statuses.push(status),
      onRejected: (reason) => rejectedWith.push(reason),
      backoff: FAST,
    });
    connections.push(connection);
    await until(() => connection.status === "closed", "the 1008 close");
    expect(rejectedWith).toHaveLength(1);
    expect(rejectedWith[0]).not.toBe("");
    // many backoff periods later, still one socket
    await new Promise((resolve) => setTimeout(resolve, 20 * FAST.capMs));
    expect(TestSocket.made).toHaveLength(1);
    expect(statuses).toEqual(["closed"]);
    await expect(connection.ask(QUESTION)).rejects.toThrow(/Not connected/);
  });
});
