import type { Bus, Unsubscribe } from "../bus/bus.ts";
import { ClientCommandSchema, type ClientCommandFrame, type ControlFrameMessage } from "../protocol/commands.ts";
import { ApexError, toApexError } from "../protocol/errors.ts";
import type { RunEvent } from "../protocol/events.ts";
import { ClientCommand, ControlFrame, ErrorCode, TERMINAL_EVENTS } from "../protocol/names.ts";
import type { EventLog } from "../store/event-log.ts";
import type { RunRepository } from "../store/runs.ts";
import type { AuthUser } from "./auth.ts";
import type { RunLauncher } from "./run-launcher.ts";

// One authenticated socket: it parses and answers commands in arrival order, and follows runs. Following a run means
// bus first (awaited), then the log's replay, then live events past the replay's last seq: nothing lost, nothing twice.

/** What a connection needs of its socket (ws's WebSocket has it); the gateway alone deals with ws itself. */
export interface ConnectionSocket {
  readonly readyState: number;
  readonly OPEN: number;
  /** Bytes queued for sending and not yet handed to the OS. */
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface ConnectionDeps {
  bus: Bus;
  log: EventLog;
  runs: RunRepository;
  launcher: RunLauncher;
  frameLimitBytes: number;
  socketByteBudget: number;
  onError: (error: unknown) => void;
}

interface Subscription {
  runId: string;
  /** The last seq sent to the client (or acknowledged by it as `after_seq`). */
  lastSeq: number;
  /** Live events that arrived while the log was being replayed. */
  buffer: RunEvent[];
  replaying: boolean;
  /** Past the byte budget: live events are dropped until the client resubscribes. */
  stalled: boolean;
  /** The terminal event was sent: nothing more will come. */
  ended: boolean;
  unsubscribe: Unsubscribe | undefined;
}

const REPLAY_PAGE = 1000;
const DRAIN_POLL_MS = 5;
/** Live events held while a replay is in progress; past this many the client is told to resync instead. */
const MAX_HELD_EVENTS = 10_000;
const COMMAND_NAMES: ReadonlySet<string> = new Set(Object.values(ClientCommand));

type CommandOf<T extends ClientCommandFrame["type"]> = Extract<ClientCommandFrame, { type: T }>;

export class WsConnection {
  readonly #socket: ConnectionSocket;
  readonly #user: AuthUser;
  readonly #deps: ConnectionDeps;
  readonly #subs = new Map<string, Subscription>();
  #closed = false;

  constructor(socket: ConnectionSocket, user: AuthUser, deps: ConnectionDeps) {
    this.#socket = socket;
    this.#user = user;
    this.#deps = deps;
  }

  get user(): AuthUser {
    return this.#user;
  }

  /** Handles one frame; every failure becomes an `error` frame and the socket stays open. */
  async handle(data: Buffer, isBinary: boolean): Promise<void> {
    let command: ClientCommandFrame;
    try {
      command = this.#parse(data, isBinary);
    } catch (error) {
      this.#sendError(error instanceof ApexError ? idOf(error.details?.frame) : undefined, error);
      return;
    }
    try {
      await this.#dispatch(command);
    } catch (error) {
      this.#sendError(command.id, error);
    }
  }

  /** Stops following every run; the runs themselves go on (a disconnect never cancels a run). */
  close(): void {
    this.#closed = true;
    for (const runId of [...this.#subs.keys()]) this.#drop(runId);
  }

  send(frame: ControlFrameMessage | RunEvent): void {
    if (this.#closed || this.#socket.readyState !== this.#socket.OPEN) return;
    this.#socket.send(JSON.stringify(frame));
  }

  sendError(id: string | undefined, error: unknown): void {
    this.#sendError(id, error);
  }

  closeSocket(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }

  #parse(data: Buffer, isBinary: boolean): ClientCommandFrame {
    if (data.byteLength > this.#deps.frameLimitBytes) {
      throw new ApexError(ErrorCode.FRAME_TOO_LARGE, `The frame has ${data.byteLength} bytes; the limit is ${this.#deps.frameLimitBytes}. Send a shorter message.`);
    }
    if (isBinary) throw new ApexError(ErrorCode.INVALID_COMMAND, "Binary frames are not understood; send JSON text frames.");
    let value: unknown;
    try {
      value = JSON.parse(data.toString("utf8"));
    } catch {
      throw new ApexError(ErrorCode.INVALID_JSON, "The frame is not valid JSON; send one JSON object per frame.");
    }
    const parsed = ClientCommandSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    const type = typeof value === "object" && value !== null ? (value as { type?: unknown }).type : undefined;
    if (typeof type !== "string" || !COMMAND_NAMES.has(type)) {
      throw new ApexError(ErrorCode.UNKNOWN_COMMAND, `Unknown command type ${JSON.stringify(type ?? null)}; use one of ${[...COMMAND_NAMES].join(", ")}.`, {
        details: { frame: value },
      });
    }
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "frame"}: ${issue.message}`).join("; ");
    throw new ApexError(ErrorCode.INVALID_COMMAND, `The ${type} command is malformed (${problems}).`, { details: { frame: value } });
  }

  async #dispatch(command: ClientCommandFrame): Promise<void> {
    switch (command.type) {
      case ClientCommand.USER_MESSAGE:
        return this.#userMessage(command);
      case ClientCommand.SUBSCRIBE:
        return this.#subscribe(command);
      case ClientCommand.UNSUBSCRIBE:
        this.#drop(command.run_id);
        this.send({ type: ControlFrame.ACK, id: command.id, run_id: command.run_id });
        return;
      case ClientCommand.CANCEL_RUN: {
        const cancelled = await this.#deps.launcher.cancel(this.#user, command.run_id);
        this.send({ type: ControlFrame.ACK, id: command.id, run_id: command.run_id, cancelled });
        return;
      }
      case ClientCommand.RESPOND:
        // No agent asks questions yet, so no interrupt is ever pending.
        throw new ApexError(ErrorCode.NOT_FOUND, `No question ${command.interrupt_id} is waiting for an answer.`);
      case ClientCommand.PING:
        this.send({ type: ControlFrame.PONG, id: command.id });
        return;
    }
  }

  async #userMessage(command: CommandOf<typeof ClientCommand.USER_MESSAGE>): Promise<void> {
    let acked: string | undefined;
    try {
      await this.#deps.launcher.launch(this.#user, command.text, command.thread_id, async ({ runId, threadId }) => {
        await this.#follow(runId, 0, false);
        acked = runId;
        // Acked before the run starts, so the ack precedes the run's first event on this socket.
        this.send({ type: ControlFrame.ACK, id: command.id, run_id: runId, thread_id: threadId });
      });
    } catch (error) {
      if (acked !== undefined) this.#drop(acked);
      throw error;
    }
  }

  async #subscribe(command: CommandOf<typeof ClientCommand.SUBSCRIBE>): Promise<void> {
    // Another user's run answers exactly like a run that does not exist.
    if ((await this.#deps.runs.get(this.#user.id, command.run_id)) === null) {
      throw new ApexError(ErrorCode.NOT_FOUND, `Run ${command.run_id} was not found.`);
    }
    await this.#follow(command.run_id, command.after_seq, true);
  }

  async #follow(runId: string, afterSeq: number, replay: boolean): Promise<void> {
    this.#drop(runId);
    const sub: Subscription = { runId, lastSeq: afterSeq, buffer: [], replaying: replay, stalled: false, ended: false, unsubscribe: undefined };
    this.#subs.set(runId, sub);
    const unsubscribe = await this.#deps.bus.subscribe(runId, (event) => this.#live(sub, event));
    if (this.#subs.get(runId) !== sub) {
      unsubscribe();
      return;
    }
    sub.unsubscribe = unsubscribe;
    if (!replay) return;
    for (;;) {
      const page = await this.#deps.log.read(runId, this.#user.id, sub.lastSeq, REPLAY_PAGE);
      for (const event of page) {
        // The replay is paced by the client: it waits for the socket to drain instead of queueing past the budget.
        while (this.#socket.bufferedAmount > this.#deps.socketByteBudget && this.#subs.get(runId) === sub && !this.#closed) {
          await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
        }
        if (this.#subs.get(runId) !== sub) return; // unsubscribed, stalled or replaced meanwhile
        this.#deliver(sub, event);
      }
      if (page.length < REPLAY_PAGE) break;
    }
    this.send({ type: ControlFrame.REPLAY_COMPLETE, run_id: runId, through_seq: sub.lastSeq });
    sub.replaying = false;
    const buffered = sub.buffer;
    sub.buffer = [];
    for (const event of buffered) this.#deliver(sub, event);
    if (sub.ended) this.#drop(runId);
  }

  #live(sub: Subscription, event: RunEvent): void {
    if (this.#subs.get(sub.runId) !== sub) return;
    if (sub.replaying) {
      sub.buffer.push(event);
      if (sub.buffer.length > MAX_HELD_EVENTS) this.#resync(sub);
      return;
    }
    this.#deliver(sub, event);
  }

  /** Sends the event if it is the next one; a gap, or a full socket while live, asks the client to resubscribe. */
  #deliver(sub: Subscription, event: RunEvent): void {
    if (sub.stalled || event.seq <= sub.lastSeq) return;
    const overBudget = !sub.replaying && this.#socket.bufferedAmount > this.#deps.socketByteBudget;
    if (event.seq !== sub.lastSeq + 1 || overBudget) {
      this.#resync(sub);
      return;
    }
    this.send(event);
    sub.lastSeq = event.seq;
    if (!TERMINAL_EVENTS.includes(event.type)) return;
    sub.ended = true;
    if (!sub.replaying) this.#drop(sub.runId);
  }

  #resync(sub: Subscription): void {
    sub.stalled = true;
    this.send({ type: ControlFrame.RESYNC_REQUIRED, run_id: sub.runId });
    this.#drop(sub.runId);
  }

  #drop(runId: string): void {
    const sub = this.#subs.get(runId);
    if (sub === undefined) return;
    this.#subs.delete(runId);
    sub.unsubscribe?.();
  }

  #sendError(id: string | undefined, error: unknown): void {
    const apexError = toApexError(error);
    if (apexError.code === ErrorCode.INTERNAL || apexError.code === ErrorCode.DATABASE_UNAVAILABLE) this.#deps.onError(error);
    const message = apexError.code === ErrorCode.INTERNAL ? "Something went wrong on the server; try again." : apexError.message;
    this.send({ type: ControlFrame.ERROR, id, code: apexError.code, message });
  }
}

/** The client's `id` of a frame that failed validation, when it is a usable one, so the error can still be matched. */
function idOf(frame: unknown): string | undefined {
  const id = typeof frame === "object" && frame !== null ? (frame as { id?: unknown }).id : undefined;
  return typeof id === "string" && id.length > 0 && id.length <= 128 ? id : undefined;
}
