import type { EventLog } from "../store/event-log.ts";
import type { RunRepository } from "../store/runs.ts";

// Run leases across nodes: this node renews the lease of every run it executes, and a sweeper (jittered, so nodes do
// not sweep in lockstep) closes the runs whose lease lapsed, i.e. whose node died, as `run_failed {interrupted}`.

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

export class RunLeases {
  readonly nodeId: string;
  readonly leaseMs: number;
  readonly #options: RunLeasesOptions;
  readonly #onError: (error: unknown) => void;
  readonly #held = new Set<string>();
  #renewTimer: NodeJS.Timeout | undefined;
  #sweepTimer: NodeJS.Timeout | undefined;
  #busy: Promise<unknown> = Promise.resolve();
  #running = false;

  constructor(options: RunLeasesOptions) {
    this.#options = options;
    this.nodeId = options.nodeId;
    this.leaseMs = options.leaseMs;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Keeps renewing the lease of `runId` until the returned function is called (when the run ended). */
  hold(runId: string): () => void {
    this.#held.add(runId);
    return () => this.#held.delete(runId);
  }

  /** Starts renewing and sweeping. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#renewTimer = setInterval(() => this.#chain(() => this.renew()), this.#options.renewMs);
    this.#renewTimer.unref();
    this.#scheduleSweep();
  }

  /** Stops renewing and sweeping (waiting for a pass in progress); the leases held then lapse on their own. */
  async stop(): Promise<void> {
    this.#running = false;
    clearInterval(this.#renewTimer);
    clearTimeout(this.#sweepTimer);
    await this.#busy;
  }

  /** Renews every held lease once; a run this node no longer holds (ended, or swept as dead) is let go. */
  async renew(): Promise<void> {
    for (const runId of [...this.#held]) {
      try {
        if (!(await this.#options.runs.renewLease(runId, this.nodeId, this.leaseMs))) this.#held.delete(runId);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  /** One sweep: closes every run whose lease lapsed; the ids this node closed (a racing node may close others). */
  async sweep(): Promise<string[]> {
    const closed: string[] = [];
    for (const run of await this.#options.runs.expiredRuns()) {
      // A run executing here is alive whatever its lease says (a renewal ran late): the next renewal extends it.
      if (run.nodeId === this.nodeId && this.#held.has(run.id)) continue;
      try {
        if (await this.#options.log.closeInterrupted(run.id)) closed.push(run.id);
      } catch (error) {
        this.#onError(error);
      }
    }
    await this.#options.afterSweep?.().catch(this.#onError);
    return closed;
  }

  #scheduleSweep(): void {
    if (!this.#running) return;
    const wait = Math.round(this.#options.sweepMs * (0.5 + Math.random()));
    this.#sweepTimer = setTimeout(() => {
      this.#chain(() => this.sweep()).finally(() => this.#scheduleSweep());
    }, wait);
    this.#sweepTimer.unref();
  }

  /** Passes run one at a time, so stop() can wait for the one in progress. */
  #chain(pass: () => Promise<unknown>): Promise<unknown> {
    this.#busy = this.#busy.then(pass).catch(this.#onError);
    return this.#busy;
  }
}
