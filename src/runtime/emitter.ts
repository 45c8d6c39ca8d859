import { ApexError } from "../protocol/errors.ts";
import { RunEventSchema, type RunEvent, type RunEventData, type RunEventOf } from "../protocol/events.ts";
import {
  ErrorCode,
  EventMode,
  OPTIONAL_EVENTS,
  PROTOCOL_VERSION,
  TERMINAL_EVENTS,
  type EventModeName,
  type EventTypeName,
} from "../protocol/names.ts";
import type { UserExecutionContext } from "./context.ts";
import type { EventSink } from "./event-sink.ts";
import { uuidv7 } from "./ids.ts";
import { frozenJson } from "./json.ts";

// The only producer of run events. It validates each event, gives it the next gapless `seq`, and hands events to the
// sink strictly in `seq` order; after the terminal event it accepts nothing more.

export class RunEmitter {
  readonly #context: UserExecutionContext;
  readonly #sink: EventSink;
  readonly #mode: EventModeName;
  readonly #traceId: string | undefined;
  #seq = 0;
  #closed = false;
  #failure: ApexError | undefined;
  #tail: Promise<void> = Promise.resolve();

  /** `traceId` is the run's trace (from the instrumentation): every event carries it, so logs and spans join events. */
  constructor(context: UserExecutionContext, sink: EventSink, mode: EventModeName = EventMode.FULL, traceId?: string) {
    this.#context = context;
    this.#sink = sink;
    this.#mode = mode;
    this.#traceId = traceId;
  }

  /** The last `seq` handed out (0 before the first event). */
  get lastSeq(): number {
    return this.#seq;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Emits one event and resolves once the sink has stored it. Resolves `null` for an optional event dropped by the
   * `critical` event mode. Throws `invalid_event` (nothing emitted, no seq used) when the data breaks the schema.
   */
  async emit<T extends EventTypeName>(type: T, data: RunEventData<T>): Promise<RunEventOf<T> | null> {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closed) {
      throw new ApexError(ErrorCode.EMITTER_CLOSED, `Run ${this.#context.runId} has ended; its event "${type}" was not sent.`);
    }
    if (this.#mode === EventMode.CRITICAL && OPTIONAL_EVENTS.includes(type)) return null;
    const event = this.#build(type, data);
    if (TERMINAL_EVENTS.includes(type)) this.#closed = true;
    const done = this.#tail.then(async () => {
      if (this.#failure !== undefined) return;
      try {
        await this.#sink.append(event, this.#context.userId);
      } catch (error) {
        this.#failure = new ApexError(
          ErrorCode.EVENT_SINK_FAILED,
          `The event log did not accept event ${event.seq} of run ${event.run_id}, so the run cannot go on; check the database.`,
          { cause: error },
        );
      }
    });
    this.#tail = done;
    await done;
    if (this.#failure !== undefined) throw this.#failure;
    return event as RunEventOf<T>;
  }

  #build<T extends EventTypeName>(type: T, data: RunEventData<T>): RunEvent {
    const payload = frozenJson(data, `event "${type}"`);
    const agentName = (payload as { agent_name?: unknown } | null)?.agent_name;
    // One parse of the whole envelope: what leaves here is exactly what the protocol promises (unknown keys stripped).
    const checked = RunEventSchema.safeParse({
      v: PROTOCOL_VERSION,
      type,
      event_id: uuidv7(),
      run_id: this.#context.runId,
      thread_id: this.#context.threadId,
      seq: this.#seq + 1,
      ts: new Date().toISOString(),
      ...(typeof agentName === "string" ? { agent_name: agentName } : {}),
      ...(this.#traceId === undefined ? {} : { trace_id: this.#traceId }),
      data: payload,
    });
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new ApexError(
        ErrorCode.INVALID_EVENT,
        `Event "${type}" is malformed at ${issue?.path.join(".") || "the envelope"}: ${issue?.message ?? "invalid"}.`,
        { cause: checked.error },
      );
    }
    this.#seq += 1;
    return Object.freeze(checked.data);
  }
}
