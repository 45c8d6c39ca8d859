import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";

// This node's admission of runs: up to `maxInFlight` execute at once, the others wait in a bounded line. The line is
// fair across users: each user's runs take successive rounds (a user's second run waits for everyone's first), and
// within a round, and within a user, first come first served. So a burst of a thousand users, or one user's five
// messages, never makes everyone wait for everyone. Watchers of a waiting run learn its place, at most once a tick.

export interface RunQueueOptions {
  /** Runs executing at once on this node; `Infinity` admits every run at once (nothing waits). */
  maxInFlight: number;
  /** Runs that may wait at once; one more is refused with `server_busy`. */
  maxQueued: number;
  /** The least time between two notifications of places, in ms. */
  notifyMs?: number;
}

/** A run's entry: where it stands when it entered, and when it may start. */
export interface Ticket {
  /** 0: admitted at once; otherwise its place in line (1 = next). */
  readonly position: number;
  /** Resolves when the run may start. A run withdrawn while waiting is never admitted: this then never settles. */
  readonly admitted: Promise<void>;
}

export type PositionListener = (position: number) => void;

interface Waiting {
  runId: string;
  round: number;
  admit: () => void;
}

const DEFAULT_NOTIFY_MS = 250;

export class RunQueue {
  readonly #maxInFlight: number;
  readonly #maxQueued: number;
  readonly #notifyMs: number;
  readonly #inFlight = new Set<string>();
  /** In admission order: by round, then by arrival (a new entry goes after every entry of its round or an earlier one). */
  readonly #line: Waiting[] = [];
  /** The round of each user's next run, kept while the user has a run in flight or waiting. */
  readonly #nextRound = new Map<string, number>();
  /** The owner of each run in flight or waiting, and how many such runs each owner has. */
  readonly #owners = new Map<string, string>();
  readonly #pending = new Map<string, number>();
  readonly #watchers = new Map<string, Set<PositionListener>>();
  /** The place each watched run was last told. */
  readonly #told = new Map<string, number>();
  /** The round of the run admitted last. */
  #round = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: RunQueueOptions) {
    const { maxInFlight, maxQueued } = options;
    if (!(maxInFlight >= 1) || !(Number.isInteger(maxInFlight) || maxInFlight === Number.POSITIVE_INFINITY)) {
      throw new ApexError(ErrorCode.INVALID_CONFIG, `The runs in flight per node must be a whole number ≥ 1 (or unlimited), not ${maxInFlight}.`);
    }
    if (!Number.isInteger(maxQueued) || maxQueued < 0) {
      throw new ApexError(ErrorCode.INVALID_CONFIG, `The queue of runs must hold a whole number ≥ 0 of runs, not ${maxQueued}.`);
    }
    this.#maxInFlight = maxInFlight;
    this.#maxQueued = maxQueued;
    this.#notifyMs = options.notifyMs ?? DEFAULT_NOTIFY_MS;
  }

  /** Runs executing now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Runs waiting now. */
  get waiting(): number {
    return this.#line.length;
  }

  /** Admits the run at once when a slot is free, else puts it in line; `server_busy` when the line is full. */
  enter(userId: string, runId: string): Ticket {
    const round = Math.max(this.#round, this.#nextRound.get(userId) ?? 0);
    if (this.#line.length === 0 && this.#inFlight.size < this.#maxInFlight && !this.#closed) {
      this.#own(userId, runId, round);
      this.#inFlight.add(runId);
      return { position: 0, admitted: Promise.resolve() };
    }
    if (this.#line.length >= this.#maxQueued) {
      throw new ApexError(
        ErrorCode.SERVER_BUSY,
        `This server is busy: ${this.#line.length} analyses are already waiting to start. Send your message again in a minute.`,
        { retryable: true },
      );
    }
    this.#own(userId, runId, round);
    let admit: () => void = () => undefined;
    const admitted = new Promise<void>((resolve) => (admit = resolve));
    const at = this.#insertionPoint(round);
    this.#line.splice(at, 0, { runId, round, admit });
    this.#changed();
    return { position: at + 1, admitted };
  }

  /** The run's place in line (1 = next), or undefined when it is not waiting (admitted, ended or unknown). */
  position(runId: string): number | undefined {
    const at = this.#line.findIndex((entry) => entry.runId === runId);
    return at === -1 ? undefined : at + 1;
  }

  /** Takes a waiting run out of line (it will never be admitted); false when it was not waiting. */
  withdraw(runId: string): boolean {
    const at = this.#line.findIndex((entry) => entry.runId === runId);
    if (at === -1) return false;
    this.#line.splice(at, 1);
    this.#forget(runId);
    this.#disown(runId);
    this.#changed();
    return true;
  }

  /** The run ended: frees its slot for the next in line (or takes it out of line). Idempotent. */
  release(runId: string): void {
    if (!this.#inFlight.delete(runId)) {
      this.withdraw(runId);
      return;
    }
    this.#disown(runId);
    this.#pump();
  }

  /** Calls `listener` with the run's new place each time it changes while it waits; returns how to stop. */
  watch(runId: string, listener: PositionListener): () => void {
    const place = this.position(runId);
    if (place === undefined || this.#closed) return () => undefined;
    let listeners = this.#watchers.get(runId);
    if (listeners === undefined) {
      listeners = new Set();
      this.#watchers.set(runId, listeners);
      this.#told.set(runId, place);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#watchers.get(runId) === listeners) this.#forget(runId);
    };
  }

  /** Admits nothing more and tells no one anything more (shutdown: what still waits is cancelled by the caller). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#watchers.clear();
    this.#told.clear();
  }

  /** After the last entry of `round` or of an earlier one: the line stays sorted by round, then by arrival. */
  #insertionPoint(round: number): number {
    let low = 0;
    let high = this.#line.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#line[middle]?.round ?? 0) <= round) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #pump(): void {
    let admitted = false;
    while (!this.#closed && this.#inFlight.size < this.#maxInFlight) {
      const next = this.#line.shift();
      if (next === undefined) break;
      admitted = true;
      this.#inFlight.add(next.runId);
      this.#forget(next.runId);
      this.#round = Math.max(this.#round, next.round);
      next.admit();
    }
    if (admitted) this.#changed();
  }

  #own(userId: string, runId: string, round: number): void {
    this.#nextRound.set(userId, round + 1);
    this.#owners.set(runId, userId);
    this.#pending.set(userId, (this.#pending.get(userId) ?? 0) + 1);
  }

  /** A user with nothing in flight or waiting any more starts again from the current round. */
  #disown(runId: string): void {
    const userId = this.#owners.get(runId);
    if (userId === undefined) return;
    this.#owners.delete(runId);
    const left = (this.#pending.get(userId) ?? 1) - 1;
    if (left > 0) {
      this.#pending.set(userId, left);
      return;
    }
    this.#pending.delete(userId);
    this.#nextRound.delete(userId);
  }

  #forget(runId: string): void {
    this.#watchers.delete(runId);
    this.#told.delete(runId);
  }

  #changed(): void {
    if (this.#closed || this.#watchers.size === 0 || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => this.#notify(), this.#notifyMs);
    this.#timer.unref();
  }

  #notify(): void {
    this.#timer = undefined;
    const places = new Map(this.#line.map((entry, i) => [entry.runId, i + 1]));
    for (const [runId, listeners] of this.#watchers) {
      const place = places.get(runId);
      if (place === undefined || this.#told.get(runId) === place) continue;
      this.#told.set(runId, place);
      for (const listener of [...listeners]) listener(place);
    }
  }
}
