import type { Bus, Unsubscribe } from "../bus/bus.ts";
import type { RunEvent } from "../protocol/events.ts";
import { TERMINAL_EVENTS } from "../protocol/names.ts";
import type { EventLog } from "../store/event-log.ts";

// Following one run for one consumer (a socket of the gateway, an AG-UI stream): bus first (awaited), then the log's
// replay, then live events past the replay's last seq: nothing lost, nothing twice. A gap in the live events, or a
// consumer past its byte budget, stops the follow and says so: the consumer resumes from its last seq.

/** Where a follow delivers; the gateway's socket or an HTTP response. */
export interface FollowTarget {
  /** Bytes queued for the consumer and not yet handed to the OS. */
  readonly bufferedAmount: number;
  send(event: RunEvent): void;
  /** The replay reached the end of the log; live events follow. */
  replayed?(throughSeq: number): void;
  /** Events were lost (a gap, or the consumer fell past its budget): the follow has stopped. */
  lost(): void;
  /** The follow stopped, whatever the reason (terminal event sent, lost, or `stop()`), exactly once. */
  stopped?(): void;
}

export interface RunFollowerDeps {
  bus: Bus;
  log: EventLog;
  /** Past this many queued bytes the replay waits for the consumer to drain, and a live event stops the follow. */
  byteBudget: number;
}

const REPLAY_PAGE = 1000;
const DRAIN_POLL_MS = 5;
/** Live events held while a replay is in progress; past this many the consumer is told it lost events instead. */
const MAX_HELD_EVENTS = 10_000;

export class RunFollower {
  readonly runId: string;
  readonly #owner: string;
  readonly #deps: RunFollowerDeps;
  readonly #target: FollowTarget;
  /** The last seq sent to the consumer (or acknowledged by it as `after_seq`). */
  #lastSeq: number;
  /** Live events that arrived while the log was being replayed. */
  #buffer: RunEvent[] = [];
  #replaying = false;
  /** Past the byte budget, or a gap: live events are dropped until the consumer follows again. */
  #stalled = false;
  /** The terminal event was sent: nothing more will come. */
  #ended = false;
  #stopped = false;
  #unsubscribe: Unsubscribe | undefined;

  constructor(deps: RunFollowerDeps, run: { runId: string; owner: string; afterSeq: number }, target: FollowTarget) {
    this.runId = run.runId;
    this.#owner = run.owner;
    this.#lastSeq = run.afterSeq;
    this.#deps = deps;
    this.#target = target;
  }

  /**
   * Subscribes to the run's live events; with `replay`, then sends the logged events after `afterSeq` and the live ones
   * that arrived meanwhile. Resolves once live delivery has taken over (or the follow stopped).
   */
  async start(replay: boolean): Promise<void> {
    this.#replaying = replay;
    const unsubscribe = await this.#deps.bus.subscribe(this.runId, (event) => this.#live(event));
    if (this.#stopped) {
      unsubscribe();
      return;
    }
    this.#unsubscribe = unsubscribe;
    if (!replay) return;
    for (;;) {
      const page = await this.#deps.log.read(this.runId, this.#owner, this.#lastSeq, REPLAY_PAGE);
      for (const event of page) {
        // The replay is paced by the consumer: it waits for it to drain instead of queueing past the budget.
        while (this.#target.bufferedAmount > this.#deps.byteBudget && !this.#stopped) {
          await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
        }
        if (this.#stopped) return; // unsubscribed, stalled or replaced meanwhile
        this.#deliver(event);
      }
      if (page.length < REPLAY_PAGE) break;
    }
    this.#target.replayed?.(this.#lastSeq);
    this.#replaying = false;
    const buffered = this.#buffer;
    this.#buffer = [];
    for (const event of buffered) this.#deliver(event);
    if (this.#ended) this.stop();
  }

  /** Stops following; the run itself goes on. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#buffer = [];
    this.#unsubscribe?.();
    this.#target.stopped?.();
  }

  #live(event: RunEvent): void {
    if (this.#stopped) return;
    if (this.#replaying) {
      this.#buffer.push(event);
      if (this.#buffer.length > MAX_HELD_EVENTS) this.#lose();
      return;
    }
    this.#deliver(event);
  }

  /** Sends the event if it is the next one; a gap, or a full consumer while live, stops the follow as lost. */
  #deliver(event: RunEvent): void {
    if (this.#stalled || event.seq <= this.#lastSeq) return;
    const overBudget = !this.#replaying && this.#target.bufferedAmount > this.#deps.byteBudget;
    if (event.seq !== this.#lastSeq + 1 || overBudget) {
      this.#lose();
      return;
    }
    this.#target.send(event);
    this.#lastSeq = event.seq;
    if (!TERMINAL_EVENTS.includes(event.type)) return;
    this.#ended = true;
    if (!this.#replaying) this.stop();
  }

  #lose(): void {
    this.#stalled = true;
    this.#target.lost();
    this.stop();
  }
}
