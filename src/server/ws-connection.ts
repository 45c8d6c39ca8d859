import type { Bus } from "../bus/bus.ts";
import { ClientCommandSchema, type ClientCommandFrame, type ControlFrameMessage } from "../protocol/commands.ts";
import { ApexError, toApexError } from "../protocol/errors.ts";
import type { RunEvent } from "../protocol/events.ts";
import { ClientCommand, ControlFrame, ErrorCode } from "../protocol/names.ts";
import type { InterruptBroker } from "../runtime/interrupts.ts";
import type { EventLog } from "../store/event-log.ts";
import { storeError } from "../store/database-outage.ts";
import type { RunRepository } from "../store/runs.ts";
import type { AuthUser } from "./auth.ts";
import { RunFollower, type RunFollowerDeps } from "./run-follower.ts";
import type { RunLauncher } from "./run-launcher.ts";

// One authenticated socket: it parses and answers commands in arrival order, and follows runs (one RunFollower per run:
// bus first, then the log's replay, then live events; a lost event asks the client to resubscribe with resync_required).
// Every command that acts (user_message, subscribe, cancel_run, respond) reads the account again first (one primary-key
// read): a disabled account is refused and its socket closed 1008, even before the bus's notice of it arrives.

/**
 * The wire text of run events, shared by every socket of the gateway. The bus hands each follower on this node the
 * same event object, so that object keys its text: an event followed by 50 sockets is serialised once, and its text
 * goes with it. Events replayed from the log are read per socket (distinct objects), so each is serialised for the one
 * socket that reads it.
 */
export class EventTexts {
  readonly #texts = new WeakMap<RunEvent, string>();

  of(event: RunEvent): string {
    let text = this.#texts.get(event);
    if (text === undefined) {
      text = JSON.stringify(event);
      this.#texts.set(event, text);
    }
    return text;
  }
}

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
  /** The account as it is now; `unauthorized` once disabled or gone. */
  account: (userId: string) => Promise<AuthUser>;
  /** Where `respond` records the user's answer to an agent's question, for the run on whichever node waits for it. */
  interrupts: Pick<InterruptBroker, "answer">;
  frameLimitBytes: number;
  socketByteBudget: number;
  /** The node's one cache of event texts. */
  texts: EventTexts;
  onError: (error: unknown) => void;
}

const COMMAND_NAMES: ReadonlySet<string> = new Set(Object.values(ClientCommand));
/** The close of a socket whose account was disabled or deleted: the UI signs out and does not reconnect. */
const CLOSE_SIGNED_OUT = 1008;
/** Commands that only touch the socket itself; every other one re-checks the account. */
const SOCKET_ONLY: ReadonlySet<string> = new Set([ClientCommand.PING, ClientCommand.UNSUBSCRIBE]);
/** A close reason must fit in 123 bytes. */
const MAX_REASON_BYTES = 120;
/** How much of an unknown command type the error message repeats. */
const SHOWN_TYPE_CHARS = 64;

type CommandOf<T extends ClientCommandFrame["type"]> = Extract<ClientCommandFrame, { type: T }>;

export class WsConnection {
  readonly #socket: ConnectionSocket;
  #user: AuthUser;
  readonly #deps: ConnectionDeps;
  readonly #subs = new Map<string, RunFollower>();
  readonly #followDeps: RunFollowerDeps;
  #closed = false;

  constructor(socket: ConnectionSocket, user: AuthUser, deps: ConnectionDeps) {
    this.#socket = socket;
    this.#user = user;
    this.#deps = deps;
    this.#followDeps = { bus: deps.bus, log: deps.log, byteBudget: deps.socketByteBudget };
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

  send(frame: ControlFrameMessage): void {
    this.#sendText(JSON.stringify(frame));
  }

  sendError(id: string | undefined, error: unknown): void {
    this.#sendError(id, error);
  }

  closeSocket(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }

  /**
   * Reads the account again: a role changed since the upgrade is taken; a disabled or deleted account stops following
   * its runs and has its socket closed 1008, "signed out". Throws what the read threw (a database error keeps the socket).
   */
  async recheck(commandId?: string): Promise<AuthUser> {
    try {
      this.#user = await this.#deps.account(this.#user.id);
      return this.#user;
    } catch (error) {
      const refused = toApexError(error);
      if (refused.code === ErrorCode.UNAUTHORIZED) {
        // The refusal first, so a client can tell which command was refused, then the close.
        if (commandId !== undefined) this.#sendError(commandId, refused);
        this.close();
        this.closeSocket(CLOSE_SIGNED_OUT, closeReason(`Signed out: ${refused.message}`));
      }
      throw error;
    }
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
      // Only a string type is named, clipped: echoing any JSON value could be huge, or too deep for JSON.stringify.
      const named = typeof type === "string" ? `type ${JSON.stringify(type.slice(0, SHOWN_TYPE_CHARS))}` : "a frame without a string type";
      throw new ApexError(ErrorCode.UNKNOWN_COMMAND, `Unknown command: ${named}; use one of ${[...COMMAND_NAMES].join(", ")}.`, {
        details: { frame: value },
      });
    }
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "frame"}: ${issue.message}`).join("; ");
    throw new ApexError(ErrorCode.INVALID_COMMAND, `The ${type} command is malformed (${problems}).`, { details: { frame: value } });
  }

  async #dispatch(command: ClientCommandFrame): Promise<void> {
    if (!SOCKET_ONLY.has(command.type)) await this.recheck(command.id);
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
      case ClientCommand.RESPOND: {
        const answer = { decision: command.decision, ...(command.payload === undefined ? {} : { payload: command.payload }) };
        // Idempotent: the same answer again is acknowledged as a duplicate; a different one is refused with a code.
        const status = await this.#deps.interrupts.answer(this.#user.id, command.interrupt_id, answer);
        this.send({ type: ControlFrame.ACK, id: command.id, interrupt_id: command.interrupt_id, status });
        return;
      }
      case ClientCommand.PING:
        this.send({ type: ControlFrame.PONG, id: command.id });
        return;
    }
  }

  async #userMessage(command: CommandOf<typeof ClientCommand.USER_MESSAGE>): Promise<void> {
    let acked: string | undefined;
    try {
      await this.#deps.launcher.launch(this.#user, command.text, command.thread_id, async ({ runId, threadId, queuePosition }) => {
        await this.#follow(runId, 0, false);
        acked = runId;
        // Acked before the run starts, so the ack precedes the run's first event on this socket.
        this.send({ type: ControlFrame.ACK, id: command.id, run_id: runId, thread_id: threadId, queue_position: queuePosition });
        this.#tellPlace(runId);
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
    this.#tellPlace(command.run_id);
  }

  /** A run waiting its turn on this node: its place now (the frame is not a run event, so it has no seq). */
  #tellPlace(runId: string): void {
    const position = this.#deps.launcher.queuePosition(runId);
    if (position !== undefined && this.#subs.has(runId)) this.send({ type: ControlFrame.RUN_QUEUED, run_id: runId, position });
  }

  async #follow(runId: string, afterSeq: number, replay: boolean): Promise<void> {
    this.#drop(runId);
    const socket = this.#socket;
    // Its place while it waits on this node, as it changes (a run queued on another node is told by nothing but its start).
    const unwatch = this.#deps.launcher.watchQueue(runId, (position) => this.send({ type: ControlFrame.RUN_QUEUED, run_id: runId, position }));
    const follower: RunFollower = new RunFollower(this.#followDeps, { runId, owner: this.#user.id, afterSeq }, {
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
      send: (event) => this.#sendText(this.#deps.texts.of(event)),
      replayed: (throughSeq) => this.send({ type: ControlFrame.REPLAY_COMPLETE, run_id: runId, through_seq: throughSeq }),
      lost: () => this.send({ type: ControlFrame.RESYNC_REQUIRED, run_id: runId }),
      stopped: () => {
        unwatch();
        if (this.#subs.get(runId) === follower) this.#subs.delete(runId);
      },
    });
    this.#subs.set(runId, follower);
    await follower.start(replay);
  }

  #drop(runId: string): void {
    const follower = this.#subs.get(runId);
    if (follower === undefined) return;
    this.#subs.delete(runId);
    follower.stop();
  }

  /** The socket's byte budget counts what ws queues of this text, the same text for every follower of an event. */
  #sendText(text: string): void {
    if (this.#closed || this.#socket.readyState !== this.#socket.OPEN) return;
    this.#socket.send(text);
  }

  #sendError(id: string | undefined, error: unknown): void {
    // A store that is briefly unreachable is `database_unavailable` (retryable), not "something went wrong".
    const apexError = toApexError(storeError(error));
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

/** `message` clipped to what a close frame can carry. */
export function closeReason(message: string): string {
  const bytes = Buffer.from(message, "utf8");
  return bytes.byteLength <= MAX_REASON_BYTES ? message : `${bytes.subarray(0, MAX_REASON_BYTES - 3).toString("utf8").replace(/\uFFFD$/, "")}...`;
}
