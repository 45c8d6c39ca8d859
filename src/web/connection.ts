import { ControlFrameSchema, QueuePositionSchema, type ClientCommandFrame, type ControlFrameMessage } from "../protocol/commands.ts";
import { ApexError } from "../protocol/errors.ts";
import { RunEventSchema, type RunEvent } from "../protocol/events.ts";
import { ClientCommand, ControlFrame, ErrorCode, RoutePath, WS_BEARER_PREFIX, WS_SUBPROTOCOL, type DecisionName } from "../protocol/names.ts";

// The one socket of the UI: it connects with the token as subprotocol, reconnects with capped exponential backoff and
// jitter, and on every (re)connect resubscribes each watched run from the seq its owner last applied, so no event is lost
// or shown twice. A 1008 close (bad or expired token, abuse) ends it: reconnecting would only be refused again. A 1013
// close (the server cannot serve now: a store is unreachable, too many sockets) is retried, later than a network drop.

/** A handler property checked bivariantly (as DOM handlers are), so the browser's richer event types fit. */
type Handler<E> = { bivarianceHack(event: E): void }["bivarianceHack"] | null;

/** What the connection needs of a socket: the browser's WebSocket and the `ws` package both fit. */
export interface SocketLike {
  readonly readyState: number;
  onmessage: Handler<{ data: unknown }>;
  onclose: Handler<{ code: number; reason: string }>;
  onerror: Handler<unknown>;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = new (url: string, protocols: string[]) => SocketLike;

export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "closed";

export interface ConnectionOptions {
  /** ws:// or wss:// URL of /ws. */
  url: string;
  token: string;
  socket: SocketFactory;
  /** The last seq applied for a run: where a resubscribe starts. */
  lastSeq(runId: string): number;
  onEvent(event: RunEvent): void;
  /** A watched run waits its turn on the server: its place in line (1 = next), until it starts. */
  onQueued?(runId: string, position: number): void;
  onStatus?(status: ConnectionStatus): void;
  /** The server closed with 1008: the token is no longer accepted (or the client was shut out). */
  onRejected?(reason: string): void;
  /** Frames the connection does not handle itself (errors without an id, replay_complete…). */
  onControl?(frame: ControlFrameMessage): void;
  backoff?: Partial<Backoff>;
}

export interface Backoff {
  baseMs: number;
  capMs: number;
  /** A number in [0, 1): injectable so a test can pin the jitter. */
  random(): number;
}

const DEFAULT_BACKOFF: Backoff = { baseMs: 500, capMs: 30_000, random: Math.random };
const POLICY_VIOLATION = 1008;
const TRY_AGAIN_LATER = 1013;
/** After a 1013 the next attempt waits at least this step of the backoff (1–2 s with the defaults), not 0.25–0.5 s. */
const TRY_LATER_MIN_ATTEMPT = 2;
const NORMAL_CLOSURE = 1000;
const OPEN = 1;
const REPLY_TIMEOUT_MS = 15_000;

/** Exponential delay for the nth retry (0-based), capped, with "equal jitter": half fixed, half random. */
export function backoffDelay(attempt: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** attempt);
  return ceiling / 2 + (ceiling / 2) * backoff.random();
}

export type CloseOutcome = "sign_in_again" | "retry_later" | "reconnect";

/**
 * What a close from the server means for the UI. Only 1008 says the sign-in was refused; every other code (1011, 1013,
 * 1001, a network drop's 1006) leaves the session alone and reconnects.
 */
export function closeOutcome(code: number): CloseOutcome {
  if (code === POLICY_VIOLATION) return "sign_in_again";
  return code === TRY_AGAIN_LATER ? "retry_later" : "reconnect";
}

/** The /ws URL next to an http(s) origin. */
export function socketUrl(origin: string): string {
  return origin.replace(/^http/, "ws") + RoutePath.WS;
}

type Command = ClientCommandFrame;
type Reply = Extract<ControlFrameMessage, { type: typeof ControlFrame.ACK }>;
interface Pending {
  resolve(reply: Reply): void;
  reject(error: ApexError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class Connection {
  readonly #options: ConnectionOptions;
  readonly #backoff: Backoff;
  readonly #watched = new Set<string>();
  readonly #pending = new Map<string, Pending>();
  /** The after_seq last asked for each run on this socket: a burst of gap events asks once, not once per event. */
  readonly #asked = new Map<string, number>();
  #socket: SocketLike | null = null;
  #status: ConnectionStatus = "connecting";
  #attempt = 0;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #nextId = 0;
  #stopped = false;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#open();
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  /** Runs resubscribed on every reconnect. */
  get watched(): ReadonlySet<string> {
    return this.#watched;
  }

  /** Follows a run: subscribes now (when open) from its last applied seq, and again after every reconnect. */
  watch(runId: string): void {
    this.#watched.add(runId);
    this.resubscribe(runId);
  }

  /** Stops following a run (it ended, or its card was closed). */
  unwatch(runId: string): void {
    if (!this.#watched.delete(runId)) return;
    this.#asked.delete(runId);
    this.#sendNow({ type: ClientCommand.UNSUBSCRIBE, run_id: runId });
  }

  /**
   * Asks for the run's events after the last applied seq (after a gap, a resync_required or a reconnect). Unless forced,
   * a second ask from the same seq is skipped: the replay already asked for is on its way.
   */
  resubscribe(runId: string, force = false): void {
    const after = this.#options.lastSeq(runId);
    if (!force && this.#asked.get(runId) === after) return;
    if (this.#sendNow({ type: ClientCommand.SUBSCRIBE, run_id: runId, after_seq: after })) this.#asked.set(runId, after);
  }

  /**
   * Sends a user message; the server subscribes this socket to the new run, which is watched from here on. The run's
   * place in the server's queue is 0 when it started at once.
   */
  async ask(text: string, threadId?: string): Promise<{ runId: string; threadId: string; queuePosition: number }> {
    const ack = await this.#request({ type: ClientCommand.USER_MESSAGE, text, ...(threadId === undefined ? {} : { thread_id: threadId }) });
    const runId = String(ack.run_id);
    this.#watched.add(runId);
    const place = QueuePositionSchema.safeParse(ack.queue_position);
    return { runId, threadId: String(ack.thread_id), queuePosition: place.success ? place.data : 0 };
  }

  /**
   * Answers an agent's `awaiting_input` question. The ack's status says whether it was taken now or was a repeat of the
   * same answer; an expired or differently answered question rejects with its error code.
   */
  async respond(interruptId: string, decision: DecisionName, payload?: Record<string, unknown>): Promise<string> {
    const ack = await this.#request({ type: ClientCommand.RESPOND, interrupt_id: interruptId, decision, ...(payload === undefined ? {} : { payload }) });
    return String(ack.status);
  }

  async cancel(runId: string): Promise<void> {
    await this.#request({ type: ClientCommand.CANCEL_RUN, run_id: runId });
  }

  /** Closes for good (sign-out): no reconnect. */
  close(): void {
    this.#stop("closed");
    this.#socket?.close(NORMAL_CLOSURE, "signed out");
  }

  /** Drops the socket as a network failure would; the connection reconnects. For tests and the "reconnect now" button. */
  drop(): void {
    this.#socket?.close(NORMAL_CLOSURE, "dropped");
  }

  #open(): void {
    const { url, token, socket: Socket } = this.#options;
    this.#setStatus(this.#attempt === 0 ? "connecting" : "reconnecting");
    const socket = new Socket(url, [WS_SUBPROTOCOL, WS_BEARER_PREFIX + token]);
    this.#socket = socket;
    socket.onmessage = (event) => this.#receive(String(event.data));
    socket.onerror = () => undefined;
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#failPending(new ApexError(ErrorCode.INTERNAL, "The connection to the server was lost; the request may not have been received. Try again."));
      if (this.#stopped) return;
      const outcome = closeOutcome(event.code);
      if (outcome === "sign_in_again") {
        this.#stop("closed");
        this.#options.onRejected?.(event.reason);
        return;
      }
      if (outcome === "retry_later") this.#attempt = Math.max(this.#attempt, TRY_LATER_MIN_ATTEMPT);
      this.#schedule();
    };
  }

  #schedule(): void {
    this.#setStatus("reconnecting");
    const delay = backoffDelay(this.#attempt, this.#backoff);
    this.#attempt += 1;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      if (!this.#stopped) this.#open();
    }, delay);
  }

  #receive(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    const event = RunEventSchema.safeParse(frame);
    if (event.success) {
      this.#options.onEvent(event.data);
      return;
    }
    const control = ControlFrameSchema.safeParse(frame);
    if (!control.success) return;
    this.#control(control.data);
  }

  #control(frame: ControlFrameMessage): void {
    switch (frame.type) {
      case ControlFrame.WELCOME:
        this.#attempt = 0;
        this.#setStatus("open");
        this.#asked.clear();
        for (const runId of this.#watched) this.resubscribe(runId);
        break;
      case ControlFrame.RUN_QUEUED:
        if (this.#watched.has(frame.run_id)) this.#options.onQueued?.(frame.run_id, frame.position);
        break;
      case ControlFrame.RESYNC_REQUIRED:
        // the server dropped live frames for the run until it is asked again, even from a seq asked before
        if (this.#watched.has(frame.run_id)) this.resubscribe(frame.run_id, true);
        break;
      case ControlFrame.ACK:
      case ControlFrame.ERROR: {
        const pending = frame.id === undefined ? undefined : this.#pending.get(frame.id);
        if (pending === undefined || frame.id === undefined) break;
        this.#pending.delete(frame.id);
        clearTimeout(pending.timer);
        if (frame.type === ControlFrame.ACK) pending.resolve(frame);
        else pending.reject(new ApexError(frame.code, frame.message));
        return;
      }
    }
    this.#options.onControl?.(frame);
  }

  #request(command: Command): Promise<Reply> {
    const id = `c${++this.#nextId}`;
    return new Promise<Reply>((resolve, reject) => {
      if (this.#socket === null || this.#socket.readyState !== OPEN || this.#status !== "open") {
        reject(new ApexError(ErrorCode.INTERNAL, "Not connected to the server yet; wait for the connection indicator to turn green and try again."));
        return;
      }
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new ApexError(ErrorCode.INTERNAL, "The server did not answer in time; try again."));
      }, REPLY_TIMEOUT_MS);
      this.#pending.set(id, { resolve, reject, timer });
      this.#socket.send(JSON.stringify({ ...command, id }));
    });
  }

  /** Fire-and-forget commands; when the socket is down they are redone by the resubscribe after the next welcome. */
  #sendNow(command: Command): boolean {
    if (this.#socket === null || this.#socket.readyState !== OPEN || this.#status !== "open") return false;
    this.#socket.send(JSON.stringify(command));
    return true;
  }

  #failPending(error: ApexError): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }

  #stop(status: ConnectionStatus): void {
    this.#stopped = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    this.#setStatus(status);
  }

  #setStatus(status: ConnectionStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#options.onStatus?.(status);
  }
}
