import type { UsageQueries } from "../analytics/store.ts";
import type { CorpusRetentionRepository } from "../store/corpus-retention.ts";
import type { StoreDb } from "../store/database.ts";
import { compactEndedRuns, type Compaction, withRetentionLock } from "../store/retention.ts";
import { pruneUsage, type UsagePruning } from "./usage-retention.ts";

// The housekeeping loop of a node: every `intervalMs` it compacts the runs that ended more than `runDays` days ago
// (their final report and outcome stay) and deletes usage records past their corpus's retention. Every node runs the
// loop; the store's advisory locks let one pass of each kind run at a time.

const MS_PER_DAY = 86_400_000;
/** The usage pass has a lock of its own, so it never waits on a long compaction. */
const USAGE_LOCK = "usage";

export interface RetentionOptions {
  db: StoreDb;
  /** Days a finished run keeps its whole event log; 0 keeps every log whole (the loop never starts). */
  runDays: number;
  intervalMs: number;
  onError?: (error: unknown) => void;
  /** Told of each pass that compacted something. */
  onCompacted?: (compaction: Compaction) => void;
  /** Usage data retention: the store, the owners' per-corpus settings and the default days (0 keeps records). */
  usage?: {
    store: Pick<UsageQueries, "allCorpora" | "deleteRecordsBefore">;
    settings: Pick<CorpusRetentionRepository, "all">;
    defaultDays: number;
    /** On a shared PostgreSQL (a cluster): one node at a time, under the lock. Embedded, one process: no lock, so the
     *  single PGlite connection is not held in a transaction while the usage store deletes. */
    acrossNodes: boolean;
    onPruned?: (pruning: UsagePruning) => void;
  };
}

export class Retention {
  readonly #options: RetentionOptions;
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(options: RetentionOptions) {
    this.#options = options;
  }

  start(): void {
    // Owners may set a corpus's retention at any time, so the loop runs whenever usage retention is wired.
    if (this.#timer !== undefined || (this.#options.runDays === 0 && this.#options.usage === undefined)) return;
    this.#timer = setInterval(() => {
      this.#busy = this.#busy.then(() => this.pass().catch(this.#options.onError ?? (() => undefined)));
    }, this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Stops the loop, waiting for a pass in progress. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#busy;
  }

  /** One pass now; null when another node is doing one, or when retention is off. */
  async pass(now = Date.now()): Promise<Compaction | null> {
    await this.pruneUsage(now);
    if (this.#options.runDays === 0) return null;
    const done = await compactEndedRuns(this.#options.db, new Date(now - this.#options.runDays * MS_PER_DAY));
    if (done !== null && done.runs > 0) this.#options.onCompacted?.(done);
    return done;
  }

  /** Deletes usage records past their corpus's retention; null when another node is doing it or it is not wired. */
  async pruneUsage(now = Date.now()): Promise<UsagePruning | null> {
    const usage = this.#options.usage;
    if (usage === undefined) return null;
    const prune = () => pruneUsage(usage.store, usage.settings, usage.defaultDays, now);
    const done = usage.acrossNodes ? await withRetentionLock(this.#options.db, USAGE_LOCK, prune) : await prune();
    if (done !== null && done.records > 0) usage.onPruned?.(done);
    return done;
  }
}
