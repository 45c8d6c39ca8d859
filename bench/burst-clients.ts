// The client side of the burst benchmark (bench/burst.ts), forked as its own process so the clients' work is not
// counted as the server's. One socket per user; on "burst" every socket sends its user_message in one synchronous loop
// (the same moment, as far as one process can), then each stamps its ack (which carries the queue position), its
// run_queued frames, its run_started and its terminal event on arrival, with process.hrtime (monotonic).
import WebSocket from "ws";
import { obeyParent, type FailedReply } from "./parent-orders.ts";
import { ClientCommand, ControlFrame, EventType, TERMINAL_EVENTS, WS_BEARER_PREFIX, WS_SUBPROTOCOL } from "../src/protocol/names.ts";

export type BurstOrder =
  /** Opens one socket per token, each waiting for its welcome. */
  | { op: "open"; url: string; tokens: string[] }
  /** The first `count` sockets (all by default) send one user_message at once; answered when every run ended. */
  | { op: "burst"; question: string; waitMs: number; count?: number }
  | { op: "drop" }
  | { op: "exit" };

/** One user's run, in ms from the moment the burst began (NaN: never came). */
export interface UserTimes {
  sent: number;
  /** The ack, which tells the place (0 = started at once). */
  acked: number;
  position: number;
  /** run_queued frames received. */
  placeFrames: number;
  started: number;
  ended: number;
  terminal: string | null;
  /** The error frame's or run_failed's code, when there was one. */
  error: string | null;
}

export type BurstReply =
  | { op: "opened"; opened: number; failed: number; firstFailure: string | null; seconds: number }
  | { op: "burst"; users: UserTimes[]; cpuPercent: number }
  | { op: "dropped" }
  | FailedReply;

type Frame = Record<string, unknown> & { type: string };

const OPEN_IN_FLIGHT = 100;
const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function connect(url: string, token: string): Promise<WebSocket> {
  const socket = new WebSocket(`${url.replace(/^http/, "ws")}/ws`, [WS_SUBPROTOCOL, WS_BEARER_PREFIX + token]);
  socket.on("error", () => undefined);
  return new Promise((resolve, reject) => {
    socket.once("message", (data) => ((JSON.parse(String(data)) as Frame).type === ControlFrame.WELCOME ? resolve(socket) : reject(new Error(String(data)))));
    socket.once("close", (code, reason) => reject(new Error(`closed before welcome: ${code} ${String(reason)}`)));
  });
}

let all: WebSocket[] = [];

async function open(order: Extract<BurstOrder, { op: "open" }>): Promise<BurstReply> {
  const started = monotonicMs();
  let next = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  const opened: WebSocket[] = new Array<WebSocket>(order.tokens.length);
  const opener = async () => {
    while (next < order.tokens.length) {
      const i = next;
      next += 1;
      try {
        opened[i] = await connect(order.url, order.tokens[i] ?? "");
      } catch (error) {
        failed += 1;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: OPEN_IN_FLIGHT }, opener));
  all = opened.filter((socket) => socket !== undefined);
  return { op: "opened", opened: all.length, failed, firstFailure, seconds: (monotonicMs() - started) / 1000 };
}

async function burst(order: Extract<BurstOrder, { op: "burst" }>): Promise<BurstReply> {
  const sockets = all.slice(0, order.count ?? all.length);
  const users: UserTimes[] = sockets.map(() => ({
    sent: Number.NaN,
    acked: Number.NaN,
    position: Number.NaN,
    placeFrames: 0,
    started: Number.NaN,
    ended: Number.NaN,
    terminal: null,
    error: null,
  }));
  let open = sockets.length;
  const t0 = monotonicMs();
  const cpu = process.cpuUsage();
  sockets.forEach((socket, i) => {
    const times = users[i] as UserTimes;
    let runId: string | undefined;
    socket.removeAllListeners("message");
    socket.on("message", (data) => {
      const at = monotonicMs() - t0;
      const frame = JSON.parse(String(data)) as Frame;
      if (frame.type === ControlFrame.ACK && frame.id === "burst") {
        runId = String(frame.run_id);
        times.acked = at;
        times.position = Number(frame.queue_position ?? 0);
      } else if (frame.type === ControlFrame.ERROR) {
        times.error ??= String(frame.code);
        if (frame.id === "burst") open -= 1;
      } else if (frame.type === ControlFrame.RUN_QUEUED && frame.run_id === runId) {
        times.placeFrames += 1;
      } else if (frame.run_id === runId && typeof frame.seq === "number") {
        if (frame.type === EventType.RUN_STARTED) times.started = at;
        if (frame.type === EventType.RUN_FAILED) times.error ??= String((frame.data as { error?: { code?: unknown } }).error?.code);
        if (TERMINAL_EVENTS.some((t) => t === frame.type)) {
          times.ended = at;
          times.terminal = frame.type;
          open -= 1;
        }
      }
    });
  });
  for (const [i, socket] of sockets.entries()) {
    (users[i] as UserTimes).sent = monotonicMs() - t0;
    socket.send(JSON.stringify({ type: ClientCommand.USER_MESSAGE, id: "burst", text: order.question }));
  }
  const deadline = Date.now() + order.waitMs;
  while (open > 0 && Date.now() < deadline) await sleep(20);
  const used = process.cpuUsage(cpu);
  const seconds = (monotonicMs() - t0) / 1000;
  return { op: "burst", users, cpuPercent: ((used.user + used.system) / 1e6 / seconds) * 100 };
}

async function drop(): Promise<BurstReply> {
  const closing = all.map((socket) => new Promise((resolve) => (socket.readyState === WebSocket.CLOSED ? resolve(undefined) : socket.once("close", resolve))));
  for (const socket of all) socket.terminate();
  await Promise.all(closing);
  all = [];
  return { op: "dropped" };
}

async function obey(order: BurstOrder): Promise<BurstReply> {
  switch (order.op) {
    case "open":
      return open(order);
    case "burst":
      return burst(order);
    case "drop":
      return drop();
    case "exit":
      process.exit(0);
  }
}

obeyParent(obey);
