import type { WireError } from "../protocol/events.ts";
import type { EventLog } from "../store/event-log.ts";
import type { RunRepository } from "../store/runs.ts";

// Run leases across nodes: this node renews the lease of every run it executes, and a sweeper (jittered, so nodes do
// not sweep in lockstep) closes the runs whose lease lapsed, i.e. whose node died, as `run_failed {interrupted}`.
// A database blip lapses every lease at once, on live nodes too; so a node retries its renewals every fraction of a
// second until the database answers, and a sweeper closes a run only when its lease is still the same lapsed one a
// grace period after it first saw it, long enough for a live node to have renewed it.

export interface RunLeasesOptions {
  runs: Pick<RunRepository, "renewLease" | "expiredRuns">;
  log: Pick<EventLog, "closeInterrupted">;
  nodeId: string;
  /** How long a lease lasts from its last renewal. */
  leaseMs: number;
  /** How often the leases of this node's runs are renewed (well under `leaseMs`). */
  renewMs: number;
  /** The mean interval between sweeps; each wait is drawn between half and one and a half of it. */
  sweepMs: number;
  /** Work each sweep does after closing dead runs: ending what they left open (their synthetic data jobs). */
  afterSweep?: () => Promise<unknown>;
  onError?: (error: unknown) => void;
}

interface HeldRun {
  /** Told when another node closed the run while it still ran here (this node was cut off past its lease). */
  onLost: (() => void) | undefined;
  /** The run ended here but its end is not logged yet: the error to close it with once the database answers. */
  ending?: WireError;
}

interface Suspect {
  leaseExpiresAt: number;
  seenAt: number;
}

/** How soon a failed renewal pass is tried again (capped by the renewal interval). */
const RENEW_RETRY_MS = 250;
/** Renewal intervals a sweeper waits, after first seeing a lapsed lease, for its node to renew it. */
const GRACE_RENEWALS = 2;

export class RunLeases {
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly #options: RunLeasesOptions;
  readonly #onError: (error: unknown) => void;
  readonly #held = new Map<string, HeldRun>();
  /** Other nodes' runs seen with a lapsed lease: closed only if still lapsed, unrenewed, a grace period later. */
  #suspects = new Map<string, Suspect>();
  #renewTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #busy: Promise<unknown> = Promise.resolve();
  #running = false;
  #renewFailing = false;

  constructor(options: RunLeasesOptions) {
    this.#options = options;
    this.nodeId = options.nodeId;
    this.leaseMs = options.leaseMs;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** How long a sweeper waits for a lapsed lease to be renewed before it takes the run's node for dead. */
  get graceMs(): number {
    return GRACE_RENEWALS * this.#options.renewMs;
  }

  /**
   * Keeps renewing the lease of `runId` until the returned function is called (when the run ended). `onLost` is called
   * if the run turns out closed by another node while it is still held here: the holder stops it.
   */
  hold(runId: string, onLost?: () => void): () => void {
    const held: HeldRun = { onLost };
    this.#held.set(runId, held);
    return () => {
      if (this.#held.get(runId) === held && held.ending === undefined) this.#held.delete(runId);
    };
  }

  /**
   * The held run ended, but its end could not be logged (the database stayed unreachable past the retries): this node
   * keeps it, so no sweeper calls it a dead node's, and logs `error` as its end as soon as the database answers.
   */
  settle(runId: string, error: WireError): void {
    const held = this.#held.get(runId) ?? { onLost: undefined };
    held.ending = error;
    this.#held.set(runId, held);
    if (this.#running) this.#scheduleRenew(0);
  }

  /** True while the run is held here (executing, or waiting for its end to be logged). */
  holds(runId: string): boolean {
    return this.#held.has(runId);
  }

  /** Starts renewing and sweeping. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleRenew(this.#options.renewMs);
    this.#scheduleSweep();
  }

  /** Stops renewing and sweeping (waiting for a pass in progress); the leases held then lapse on their own. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#sweepTimer);
    await this.#busy;
  }

  /**
   * Renews every held lease once and logs the ends waiting to be logged; a run this node no longer holds (ended, or
   * closed by another node) is let go. Stops at the first failure (the database is down: the rest would fail too) and
   * returns false, so the next pass comes soon.
   */
  async renew(): Promise<boolean> {
    for (const [runId, held] of [...this.#held]) {
      try {
        if (held.ending !== undefined) {
          await this.#options.log.closeInterrupted(runId, { nodeId: this.nodeId, error: held.ending });
          this.#held.delete(runId);
        } else if (!(await this.#options.runs.renewLease(runId, this.nodeId, this.leaseMs))) {
          if (this.#held.get(runId) !== held) continue; // released meanwhile: it simply ended
          this.#held.delete(runId);
          held.onLost?.();
        }
      } catch (error) {
        // Told once per outage, not once per pass.
        if (!this.#renewFailing) this.#onError(error);
        this.#renewFailing = true;
        return false;
      }
    }
    this.#renewFailing = false;
    return true;
  }

  /** One sweep: closes every run whose lease lapsed and stayed so; the ids this node closed (a racing node may close others). */
  async sweep(): Promise<string[]> {
    const closed: string[] = [];
    const now = Date.now();
    const suspects = new Map<string, Suspect>();
    for (const run of await this.#options.runs.expiredRuns()) {
      // A run held here is alive whatever its lease says (a renewal ran late, or the database was away).
      if (run.nodeId === this.nodeId && this.#held.has(run.id)) continue;
      const leaseExpiresAt = run.leaseExpiresAt.getTime();
      const before = this.#suspects.get(run.id);
      const seenAt = before !== undefined && before.leaseExpiresAt === leaseExpiresAt ? before.seenAt : now;
      if (now - seenAt < this.graceMs) {
        suspects.set(run.id, { leaseExpiresAt, seenAt });
        continue;
      }
      try {
        if (await this.#options.log.closeInterrupted(run.id)) closed.push(run.id);
      } catch (error) {
        suspects.set(run.id, { leaseExpiresAt, seenAt });
        this.#onError(error);
      }
    }
    this.#suspects = suspects;
    await this.#options.afterSweep?.().catch(this.#onError);
    return closed;
  }

  #scheduleRenew(wait: number): void {
    clearTimeout(this.#renewTimer);
    this.#renewTimer = setTimeout(() => {
      void this.#chain(() => this.renew()).then((ok) => {
        if (!this.#running) return;
        this.#scheduleRenew(ok === true ? this.#options.renewMs : Math.min(RENEW_RETRY_MS, this.#options.renewMs));
      });
    }, wait);
    this.#renewTimer.unref();
  }

  #scheduleSweep(): void {
    if (!this.#running) return;
    const wait = Math.round(this.#options.sweepMs * (0.5 + Math.random()));
    this.#sweepTimer = setTimeout(() => {
      void this.#chain(() => this.sweep()).finally(() => this.#scheduleSweep());
    }, wait);
    this.#sweepTimer.unref();
  }

  /** Passes run one at a time, so stop() can wait for the one in progress. */
  #chain<T>(pass: () => Promise<T>): Promise<T | undefined> {
    const next = this.#busy.then(pass).catch((error: unknown) => {
      this.#onError(error);
      return undefined;
    });
    this.#busy = next;
    return next;
  }
}
