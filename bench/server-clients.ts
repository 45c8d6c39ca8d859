// The client side of the server benchmark (bench/server.ts), forked as its own process so the clients' CPU and memory
// are not counted as the server's. It opens the sockets, follows runs, stamps every frame on arrival, and answers the
// parent's orders over IPC. Arrival stamps use process.hrtime (CLOCK_MONOTONIC, one clock for all processes on Linux),
// so they compare with the emit stamps the parent takes.
import WebSocket from "ws";
import { obeyParent, type FailedReply } from "./parent-orders.ts";
import { ClientCommand, ControlFrame, TERMINAL_EVENTS, WS_BEARER_PREFIX, WS_SUBPROTOCOL } from "../src/protocol/names.ts";

export type ClientOrder =
  /** Opens `count` sockets, token i % tokens.length for socket i, each waiting for its welcome. */
  | { op: "open"; url: string; tokens: string[]; count: number }
  /** Each socket subscribes (after_seq 0) to one of its user's runs, in turn; answered once every replay_complete came. */
  | { op: "follow"; runsByUser: string[][] }
  /** Waits until every following socket has seq `lastSeq`, then turns the arrivals into latencies against `emits`. */
  | { op: "collect"; lastSeq: number; emits: Record<string, Float64Array> }
  /** Real pipeline runs: per user, `runsPerUser` groups of its sockets; one asks, the others subscribe on the ack. */
  | { op: "pipeline"; users: number; runsPerUser: number; question: string }
  /** `times` fresh sockets in turn subscribe to a finished run from seq 0: time from subscribe to replay_complete. */
  | { op: "resume"; url: string; token: string; runId: string; events: number; times: number }
  /** Terminates every open socket. */
  | { op: "drop" }
  | { op: "exit" };

export interface Delivery {
  deliveries: number;
  /** Arrivals per second, from the first emit (or first request) to the last arrival. */
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** Arrivals the latency was computed over. */
  timed: number;
  resyncs: number;
  errors: number;
  /** The client process's CPU time over the same interval (100 = one core). */
  clientCpu: number;
}

export type ClientReply =
  | { op: "opened"; opened: number; failed: number; seconds: number; rssMb: number }
  | { op: "following" }
  | ({ op: "collected"; rssMb: number } & Delivery)
  | ({ op: "pipelined"; runs: number; eventsPerRun: number; seconds: number } & Delivery)
  | { op: "resumed"; ms: number[] }
  | { op: "dropped" }
  | FailedReply;

type Frame = Record<string, unknown> & { type: string };
type OnFrame = (frame: Frame, at: number) => void;

const WAIT_MS = Number(process.argv[2] ?? 180_000);
const OPEN_IN_FLIGHT = 200;

const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const wallMs = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(done: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${WAIT_MS / 1000} s waiting for ${what()}`);
    await sleep(10);
  }
}

class Client {
  onFrame: OnFrame = () => undefined;
  constructor(
    readonly socket: WebSocket,
    readonly user: number,
  ) {
    socket.on("message", (data) => {
      const at = monotonicMs();
      this.onFrame(JSON.parse(String(data)) as Frame, at);
    });
    socket.on("error", () => undefined);
  }

  send(frame: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(frame));
  }
}

/** A socket with its welcome received, or an Error. */
function connect(url: string, token: string, user: number): Promise<Client> {
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/ws`, [WS_SUBPROTOCOL, WS_BEARER_PREFIX + token]);
  const client = new Client(socket, user);
  return new Promise((resolve, reject) => {
    client.onFrame = (frame) => {
      if (frame.type === ControlFrame.WELCOME) resolve(client);
    };
    socket.once("close", (code, reason) => reject(new Error(`closed before welcome: ${code} ${String(reason)}`)));
    socket.once("error", reject);
  });
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);
}

function rssMb(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

class Clients {
  #clients: Client[] = [];

  async open(order: Extract<ClientOrder, { op: "open" }>): Promise<ClientReply> {
    const started = monotonicMs();
    let next = 0;
    let failed = 0;
    const opener = async () => {
      while (next < order.count) {
        const i = next;
        next += 1;
        const user = i % order.tokens.length;
        try {
          this.#clients.push(await connect(order.url, order.tokens[user] ?? "", user));
        } catch {
          failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: OPEN_IN_FLIGHT }, opener));
    return { op: "opened", opened: this.#clients.length, failed, seconds: (monotonicMs() - started) / 1000, rssMb: rssMb() };
  }

  // Arrivals of the current follow: run index, seq and arrival time, appended in arrival order.
  #runIndex = new Map<string, number>();
  #arrivalRun: number[] = [];
  #arrivalSeq: number[] = [];
  #arrivalAt: number[] = [];
  #lastArrival = 0;
  #resyncs = 0;
  #errors = 0;

  /** The first error frame of the phase, for the report. */
  #firstError: string | undefined;

  #error(frame: Frame): void {
    this.#errors += 1;
    this.#firstError ??= `${String(frame.code)}: ${String(frame.message)}`;
  }

  #cpuFrom = process.cpuUsage();

  /** Events that did not come as the next seq of their socket's run (a gap, a duplicate, a reordering). */
  #misordered = 0;

  #resetArrivals(): void {
    this.#misordered = 0;
    this.#firstError = undefined;
    this.#runIndex = new Map();
    this.#arrivalRun = [];
    this.#arrivalSeq = [];
    this.#arrivalAt = [];
    this.#resyncs = 0;
    this.#errors = 0;
  }

  async follow(runsByUser: string[][]): Promise<ClientReply> {
    this.#resetArrivals();
    for (const run of runsByUser.flat()) this.#runIndex.set(run, this.#runIndex.size);
    let ready = 0;
    const taken = runsByUser.map(() => 0);
    this.#clients.forEach((client, i) => {
      let next = 1;
      const mine = runsByUser[client.user] ?? [];
      const run = mine[(taken[client.user] ?? 0) % mine.length] ?? "";
      taken[client.user] = (taken[client.user] ?? 0) + 1;
      const index = this.#runIndex.get(run) ?? 0;
      client.onFrame = (frame, at) => {
        if (frame.run_id === run && typeof frame.seq === "number") {
          if (frame.seq !== next) this.#misordered += 1;
          next = frame.seq + 1;
          this.#arrivalRun.push(index);
          this.#arrivalSeq.push(frame.seq);
          this.#arrivalAt.push(at);
          this.#lastArrival = at;
        } else if (frame.type === ControlFrame.REPLAY_COMPLETE) ready += 1;
        else if (frame.type === ControlFrame.RESYNC_REQUIRED) this.#resyncs += 1;
        else if (frame.type === ControlFrame.ERROR) this.#error(frame);
      };
      client.send({ type: ClientCommand.SUBSCRIBE, id: `f-${i}`, run_id: run, after_seq: 0 });
    });
    await until(() => ready + this.#errors >= this.#clients.length, () => `every replay_complete (${ready} of ${this.#clients.length}, ${this.#errors} errors, first: ${this.#firstError ?? "none"})`);
    if (this.#firstError !== undefined) throw new Error(`${this.#errors} subscribes were refused, the first with ${this.#firstError}`);
    this.#cpuFrom = process.cpuUsage();
    return { op: "following" };
  }

  async collect(order: Extract<ClientOrder, { op: "collect" }>): Promise<ClientReply> {
    const expected = this.#clients.length * order.lastSeq;
    await until(() => this.#arrivalAt.length + this.#resyncs * order.lastSeq >= expected || this.#arrivalAt.length >= expected, () => `every event (${this.#arrivalAt.length} of ${expected}, ${this.#resyncs} resyncs, ${this.#errors} errors, first: ${this.#firstError ?? "none"})`);
    if (this.#misordered > 0 || (this.#resyncs === 0 && this.#arrivalAt.length !== expected)) {
      throw new Error(`${this.#arrivalAt.length} events arrived for ${expected} expected, ${this.#misordered} out of seq order`);
    }
    const emitsByIndex: Float64Array[] = [];
    for (const [run, index] of this.#runIndex) emitsByIndex[index] = order.emits[run] ?? new Float64Array();
    const latencies = new Float64Array(this.#arrivalAt.length);
    this.#arrivalAt.forEach((at, k) => {
      latencies[k] = at - (emitsByIndex[this.#arrivalRun[k] ?? 0]?.[this.#arrivalSeq[k] ?? 0] ?? Number.NaN);
    });
    const firstEmit = Math.min(...emitsByIndex.map((times) => times[1] ?? Number.POSITIVE_INFINITY));
    return { op: "collected", rssMb: rssMb(), ...this.#delivery(latencies, this.#arrivalAt.length, (this.#lastArrival - firstEmit) / 1000) };
  }

  #delivery(latencies: Float64Array, deliveries: number, seconds: number): Delivery {
    latencies.sort();
    const cpu = process.cpuUsage(this.#cpuFrom);
    return {
      clientCpu: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      deliveries,
      perSecond: deliveries / seconds,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      max: percentile(latencies, 1),
      timed: latencies.length,
      resyncs: this.#resyncs,
      errors: this.#errors,
    };
  }

  /**
   * Real runs: the asking socket follows from the start; the others subscribe on the ack and count as live only after
   * their replay_complete. Latency is arrival (wall clock) minus the event's `ts`, which has millisecond resolution.
   */
  async pipeline(order: Extract<ClientOrder, { op: "pipeline" }>): Promise<ClientReply> {
    this.#resetArrivals();
    const latencies: number[] = [];
    const runs = new Set<string>();
    let deliveries = 0;
    let ended = 0;
    let eventsOfRuns = 0;
    const started = monotonicMs();
    this.#cpuFrom = process.cpuUsage();
    for (let user = 0; user < order.users; user += 1) {
      const mine = this.#clients.filter((c) => c.user === user);
      const size = Math.ceil(mine.length / order.runsPerUser);
      for (let r = 0; r < order.runsPerUser; r += 1) {
        const group = mine.slice(r * size, (r + 1) * size);
        const [asker, ...followers] = group;
        if (asker === undefined) continue;
        const id = `ask-${user}-${r}`;
        let run: string | undefined;
        group.forEach((client) => {
          let live = client === asker;
          let next = 1;
          client.onFrame = (frame, at) => {
            if (run === undefined && frame.type === ControlFrame.ACK && frame.id === id) {
              run = String(frame.run_id);
              runs.add(run);
              for (const f of followers) f.send({ type: ClientCommand.SUBSCRIBE, id: `s-${id}`, run_id: run, after_seq: 0 });
            }
            if (frame.type === ControlFrame.REPLAY_COMPLETE) live = true;
            else if (frame.type === ControlFrame.RESYNC_REQUIRED) this.#resyncs += 1;
            else if (frame.type === ControlFrame.ERROR) {
              this.#error(frame);
              ended += 1;
            }
            if (typeof frame.seq !== "number" || frame.run_id !== run) return;
            if (frame.seq !== next) this.#misordered += 1;
            next = frame.seq + 1;
            deliveries += 1;
            this.#lastArrival = at;
            if (live) latencies.push(wallMs() - (monotonicMs() - at) - Date.parse(String(frame.ts)));
            if (TERMINAL_EVENTS.some((t) => t === frame.type)) {
              ended += 1;
              if (client === asker) eventsOfRuns += frame.seq;
            }
          };
        });
        asker.send({ type: ClientCommand.USER_MESSAGE, id, text: order.question });
      }
    }
    await until(() => ended >= this.#clients.length, () => `every run's terminal event (${ended} of ${this.#clients.length} sockets, ${runs.size} runs acked, ${deliveries} events, ${this.#errors} errors, first: ${this.#firstError ?? "none"})`);
    if (this.#errors > 0 || this.#misordered > 0) throw new Error(`${this.#errors} error frames (first: ${this.#firstError ?? "none"}), ${this.#misordered} events out of seq order`);
    const seconds = (this.#lastArrival - started) / 1000;
    return {
      op: "pipelined",
      runs: runs.size,
      eventsPerRun: eventsOfRuns / Math.max(1, runs.size),
      seconds,
      ...this.#delivery(Float64Array.from(latencies), deliveries, seconds),
    };
  }

  async resume(order: Extract<ClientOrder, { op: "resume" }>): Promise<ClientReply> {
    const ms: number[] = [];
    for (let k = 0; k < order.times; k += 1) {
      const client = await connect(order.url, order.token, 0);
      let events = 0;
      let through = -1;
      let at = 0;
      client.onFrame = (frame, arrived) => {
        if (frame.run_id === order.runId && typeof frame.seq === "number") events += 1;
        if (frame.type === ControlFrame.REPLAY_COMPLETE) [through, at] = [Number(frame.through_seq), arrived];
      };
      const sent = monotonicMs();
      client.send({ type: ClientCommand.SUBSCRIBE, id: `r-${k}`, run_id: order.runId, after_seq: 0 });
      await until(() => through >= 0, () => `replay_complete (${events} events so far)`);
      if (events !== order.events || through !== order.events) throw new Error(`resume ${k}: got ${events} events through seq ${through}, expected ${order.events}`);
      ms.push(at - sent);
      client.socket.terminate();
    }
    return { op: "resumed", ms };
  }

  async drop(): Promise<ClientReply> {
    const closing = this.#clients.map((c) => new Promise((resolve) => (c.socket.readyState === WebSocket.CLOSED ? resolve(undefined) : c.socket.once("close", resolve))));
    for (const client of this.#clients) client.socket.terminate();
    await Promise.all(closing);
    this.#clients = [];
    return { op: "dropped" };
  }
}

const clients = new Clients();

async function obey(order: ClientOrder): Promise<ClientReply> {
  switch (order.op) {
    case "open":
      return clients.open(order);
    case "follow":
      return clients.follow(order.runsByUser);
    case "collect":
      return clients.collect(order);
    case "pipeline":
      return clients.pipeline(order);
    case "resume":
      return clients.resume(order);
    case "drop":
      return clients.drop();
    case "exit":
      process.exit(0);
  }
}

obeyParent(obey);
