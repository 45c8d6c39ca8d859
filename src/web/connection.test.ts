import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ControlFrame } from "../protocol/names.ts";
import { backoffDelay, closeOutcome, Connection, socketUrl, type ConnectionStatus, type SocketLike } from "./connection.ts";

// The socket itself is tested against a real server in test/web/connection.test.ts; here, the arithmetic, and what
// each close code of the server makes the UI do (a socket in the browser's shape that the test closes by hand).

describe("reconnect backoff", () => {
  const pinned = (random: number) => ({ baseMs: 500, capMs: 30_000, random: () => random });

  it("doubles per attempt, with half of each delay random (equal jitter)", () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, pinned(0)))).toEqual([250, 500, 1000, 2000]);
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, pinned(0.999_999)))).toEqual([500, 1000, 2000, 4000].map((d) => expect.closeTo(d, 1)));
  });

  it("is capped, so a long outage retries every cap/2..cap", () => {
    expect(backoffDelay(30, pinned(0))).toBe(15_000);
    expect(backoffDelay(1_000, pinned(0.5))).toBe(22_500);
  });

  it("derives the socket URL from the page origin", () => {
    expect(socketUrl("https://apex.example.com")).toBe("wss://apex.example.com/ws");
    expect(socketUrl("http://127.0.0.1:3999")).toBe("ws://127.0.0.1:3999/ws");
  });
});

/** Stands in for the browser's WebSocket: records each socket made, and closes as the server would. */
class ClosingSocket implements SocketLike {
  static made: ClosingSocket[] = [];
  readyState = 0;
  onmessage: SocketLike["onmessage"] = null;
  onclose: SocketLike["onclose"] = null;
  onerror: SocketLike["onerror"] = null;

  constructor() {
    ClosingSocket.made.push(this);
  }

  send(): void {}

  close(code = 1000, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

describe("what a close code makes the UI do", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    ClosingSocket.made = [];
  });
  afterEach(() => vi.useRealTimers());

  function connect() {
    const rejected: string[] = [];
    const statuses: ConnectionStatus[] = [];
    const connection = new Connection({
      url: "ws://127.0.0.1:1/ws",
      token: "t",
      socket: ClosingSocket,
      lastSeq: () => 0,
      onEvent: () => undefined,
      onStatus: (status) => statuses.push(status),
      onRejected: (reason) => rejected.push(reason),
      backoff: { random: () => 0 },
    });
    return { connection, rejected, statuses, last: () => ClosingSocket.made.at(-1) };
  }

  it("classifies: only 1008 asks to sign in again", () => {
    expect([1008, 1013, 1011, 1001, 1006, 1000].map(closeOutcome)).toEqual(["sign_in_again", "retry_later", "reconnect", "reconnect", "reconnect", "reconnect"]);
  });

  it("reconnects after 1013 (a store unreachable), later than after a drop, and never signs out", async () => {
    const { rejected, statuses, last } = connect();
    last()?.close(1013, "The server could not check your sign-in just now; reconnect in a moment.");
    expect(statuses.at(-1)).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(999);
    expect(ClosingSocket.made).toHaveLength(1); // a drop would have retried after 250 ms
    await vi.advanceTimersByTimeAsync(1);
    expect(ClosingSocket.made).toHaveLength(2);
    expect(rejected).toEqual([]);
  });

  it("reconnects after 1011 with the ordinary backoff", async () => {
    const { rejected, last } = connect();
    last()?.close(1011, "internal");
    await vi.advanceTimersByTimeAsync(250);
    expect(ClosingSocket.made).toHaveLength(2);
    expect(rejected).toEqual([]);
  });

  it("stops for good after 1008 and says why", async () => {
    const { rejected, statuses, last } = connect();
    last()?.close(1008, "Your session expired; sign in again.");
    await vi.advanceTimersByTimeAsync(120_000);
    expect(ClosingSocket.made).toHaveLength(1);
    expect(rejected).toEqual(["Your session expired; sign in again."]);
    expect(statuses.at(-1)).toBe("closed");
  });
});

describe("a run waiting its turn in the server's queue", () => {
  it("reads the ack's queue_position and hands each run_queued of a watched run to onQueued", async () => {
    ClosingSocket.made = [];
    const places: [string, number][] = [];
    const connection = new Connection({
      url: "ws://127.0.0.1:1/ws",
      token: "t",
      socket: ClosingSocket,
      lastSeq: () => 0,
      onEvent: () => undefined,
      onQueued: (runId, position) => places.push([runId, position]),
    });
    const socket = ClosingSocket.made.at(-1) as ClosingSocket;
    const sent: string[] = [];
    socket.send = (data?: string) => void sent.push(data ?? "");
    const receive = (frame: Record<string, unknown>) => socket.onmessage?.({ data: JSON.stringify(frame) });
    socket.readyState = 1;
    receive({ type: ControlFrame.WELCOME, protocol: 1, connection_id: "c1", heartbeat_ms: 30_000, server_time: new Date().toISOString() });
    const asking = connection.ask("Where can I cut my LLM costs?");
    const { id } = JSON.parse(sent.at(-1) ?? "{}") as { id: string };
    receive({ type: ControlFrame.ACK, id, run_id: "r1", thread_id: "t1", queue_position: 3 });
    expect(await asking).toEqual({ runId: "r1", threadId: "t1", queuePosition: 3 });
    receive({ type: ControlFrame.RUN_QUEUED, run_id: "r1", position: 2 });
    receive({ type: ControlFrame.RUN_QUEUED, run_id: "not-watched", position: 1 });
    expect(places).toEqual([["r1", 2]]);
    connection.close();
  });
});
