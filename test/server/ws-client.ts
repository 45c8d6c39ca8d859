import WebSocket from "ws";
import type { RunEvent } from "../../src/protocol/events.ts";
import { TERMINAL_EVENTS, WS_BEARER_PREFIX, WS_SUBPROTOCOL } from "../../src/protocol/names.ts";

// A real `ws` client for the server tests: it records every frame and lets a test wait for the one it expects.

export type Frame = Record<string, unknown> & { type: string };

export interface Closed {
  code: number;
  reason: string;
}

const WAIT_MS = 30_000;

export class TestClient {
  readonly frames: Frame[] = [];
  readonly socket: WebSocket;
  readonly closed: Promise<Closed>;
  readonly #waiters = new Set<() => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on("message", (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      for (const wake of this.#waiters) wake();
    });
    this.closed = new Promise((resolve) => socket.on("close", (code, reason) => resolve({ code, reason: String(reason) })));
    socket.on("error", () => undefined);
  }

  /** Opens /ws with the token as subprotocol (the browser way), or in the Authorization header. */
  static open(baseUrl: string, token: string | undefined, via: "protocol" | "header" = "protocol"): TestClient {
    const url = `${baseUrl.replace(/^http/, "ws")}/ws`;
    const protocols = via === "protocol" && token !== undefined ? [WS_SUBPROTOCOL, WS_BEARER_PREFIX + token] : [WS_SUBPROTOCOL];
    const headers = via === "header" && token !== undefined ? { authorization: `Bearer ${token}` } : {};
    return new TestClient(new WebSocket(url, protocols, { headers }));
  }

  send(frame: unknown): void {
    if (Buffer.isBuffer(frame)) this.socket.send(frame, { binary: true });
    else this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The first frame (from index `from`) that matches; waits for it. */
  async next(match: (frame: Frame) => boolean, from = 0): Promise<Frame> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no matching frame after ${WAIT_MS} ms; got ${this.frames.map((f) => f.type).join(",")}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          resolve();
        };
        this.#waiters.add(wake);
        setTimeout(wake, 200);
      });
    }
  }

  /** The run events of `runId` received so far. */
  events(runId: string): RunEvent[] {
    return this.frames.filter((f) => f.run_id === runId && typeof f.seq === "number") as unknown as RunEvent[];
  }

  /** Waits for the run's terminal event and returns all its events. */
  async runToEnd(runId: string): Promise<RunEvent[]> {
    await this.next((f) => f.run_id === runId && TERMINAL_EVENTS.some((t) => t === f.type) && typeof f.seq === "number");
    return this.events(runId);
  }

  close(): Promise<Closed> {
    this.socket.close();
    return this.closed;
  }
}
