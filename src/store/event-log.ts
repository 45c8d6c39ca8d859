import { and, asc, eq, gt, inArray, sql, TransactionRollbackError } from "drizzle-orm";
import { ApexError } from "../protocol/errors.ts";
import type { RunEvent, WireError } from "../protocol/events.ts";
import { ErrorCode, EventType } from "../protocol/names.ts";
import type { StoreDb } from "./database.ts";
import { DEFAULT_RETRY_BUDGET_MS, retryThroughOutage } from "./database-outage.ts";
import { interruptedRunEnding } from "./interrupted-run.ts";
import { RunRepository, type EndedRunStatus } from "./runs.ts";
import { RunStatus, eventLog, runs } from "./schema.ts";

// The durable event log, the runtime's event sink (structurally `EventSink` of src/runtime/event-sink.ts). Appends of
// all runs are group-committed: queued, then written by one multi-row INSERT per flush; an append resolves only once
// its row is committed, and only committed events are published to the bus, so no client sees an event the log lacks.
// A database blip holds the queue (later batches wait behind the one being retried, so seq order is kept) and a retry
// recognises the rows an earlier attempt did commit, so nothing is stored twice or refused as a taken seq.

/** Where committed events go: the bus (src/bus/), which the store may not import (layer rules), hence this shape. */
export interface EventPublisher {
  publish(events: readonly RunEvent[]): Promise<void>;
}

export interface EventLogOptions {
  db: StoreDb;
  bus: EventPublisher;
  /** Ids of the events the log writes itself (the sweeper's `run_failed`): the runtime's UUIDv7. */
  newEventId: () => string;
  /** Longest wait before queued appends are written. */
  flushIntervalMs?: number;
  /** A flush writes at most this many events; a full batch is written at once. */
  maxBatch?: number;
  /** How long a batch is retried through a database blip before its appends reject `database_unavailable`. */
  retryBudgetMs?: number;
  /** Publishing failed after commit: the events are safe in the log, followers catch up by replay. */
  onPublishError?: (error: unknown) => void;
  /** Told of each group commit (the events stored by one INSERT): the metrics count runs, events and batches here. */
  onCommitted?: (events: readonly RunEvent[]) => void;
}

export interface EventLogStats {
  /** INSERT statements written (one per flush). */
  flushes: number;
  /** Events stored. */
  events: number;
  largestBatch: number;
}

interface PendingAppend {
  event: RunEvent;
  owner: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const DEFAULT_FLUSH_INTERVAL_MS = 2;
const DEFAULT_MAX_BATCH = 500;
const DEFAULT_READ_LIMIT = 10_000;
/** The sweeper re-reads the log this many times when the run's own emitter keeps racing it for the next seq. */
const CLOSE_ATTEMPTS = 3;
/** Why a run whose lease lapsed was closed: true only because the sweepers wait until its node failed to renew it. */
const NODE_STOPPED: WireError = {
  code: ErrorCode.INTERRUPTED,
  message: "The server running this analysis stopped before it finished; send your message again to run it anew.",
};

export class EventLog {
  readonly #db: StoreDb;
  readonly #bus: EventPublisher;
  readonly #runs: RunRepository;
  readonly #newEventId: () => string;
  readonly #intervalMs: number;
  readonly #maxBatch: number;
  readonly #retryBudgetMs: number;
  readonly #onPublishError: (error: unknown) => void;
  readonly #onCommitted: (events: readonly RunEvent[]) => void;
  readonly #queue: PendingAppend[] = [];
  readonly #stats: EventLogStats = { flushes: 0, events: 0, largestBatch: 0 };
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #publishing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: EventLogOptions) {
    this.#db = options.db;
    this.#bus = options.bus;
    this.#runs = new RunRepository(options.db);
    this.#newEventId = options.newEventId;
    this.#intervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.#maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.#retryBudgetMs = options.retryBudgetMs ?? DEFAULT_RETRY_BUDGET_MS;
    this.#onPublishError = options.onPublishError ?? (() => undefined);
    this.#onCommitted = options.onCommitted ?? (() => undefined);
    if (!Number.isInteger(this.#maxBatch) || this.#maxBatch < 1 || this.#intervalMs < 0) {
      throw new ApexError(ErrorCode.INVALID_CONFIG, "The event log needs a batch size ≥ 1 and a flush interval ≥ 0 ms.");
    }
  }

  /**
   * Stores one event of `owner`'s run; resolves once committed. Rejects `database_unavailable` (with every append of
   * the same batch) when the write fails, and `invalid_event` when the run is not the owner's or the seq is taken.
   */
  append(event: RunEvent, owner: string): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new ApexError(ErrorCode.DATABASE_UNAVAILABLE, `The event log is closed; event ${event.seq} of run ${event.run_id} was not stored.`));
    }
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ event, owner, resolve, reject });
      this.#schedule();
    });
  }

  /** The logged events of the owner's run with `seq > afterSeq`, in order; empty for another user's run. */
  async read(runId: string, owner: string, afterSeq = 0, limit = DEFAULT_READ_LIMIT): Promise<RunEvent[]> {
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0 || !Number.isSafeInteger(limit) || limit < 1) {
      throw new ApexError(ErrorCode.INVALID_REQUEST, `Events are read after a whole seq ≥ 0, in pages of at least 1; got after_seq ${afterSeq} and limit ${limit}.`);
    }
    const rows = await this.#db
      .select({ envelope: eventLog.envelope })
      .from(eventLog)
      .innerJoin(runs, eq(runs.id, eventLog.runId))
      .where(and(eq(eventLog.runId, runId), eq(runs.ownerId, owner), gt(eventLog.seq, afterSeq)))
      .orderBy(asc(eventLog.seq))
      .limit(limit);
    return rows.map((row) => row.envelope as RunEvent);
  }

  /**
   * Closes a run whose lease lapsed (its node died) unless its log already ends with a terminal event: logs, all or
   * nothing, the completion of its open tool calls, the error of its open agent and `run_failed {code: "interrupted"}`
   * (src/store/interrupted-run.ts), then ends the run row. True when this call logged the `run_failed`.
   * With `own`, the node closes a run of its own that ended without its end logged (the database was unreachable for
   * longer than the retries lasted): whatever its lease says, and with the error that really ended it.
   */
  async closeInterrupted(runId: string, own?: { nodeId: string; error: WireError }): Promise<boolean> {
    const reason = own?.error ?? NODE_STOPPED;
    for (let attempt = 0; attempt < CLOSE_ATTEMPTS; attempt += 1) {
      const run = await this.#runs.findExpired(runId, own?.nodeId);
      if (run === null) return false;
      const log = await this.#readAll(runId, run.ownerId);
      const last = log.at(-1);
      const ended = last === undefined ? undefined : terminalStatus(last);
      if (ended !== undefined) {
        // The run did end (or another sweeper closed it); only its row missed it. Record what the log says.
        await this.#runs.endExpired(runId, ended.status, ended.error, own?.nodeId);
        return false;
      }
      const ending = interruptedRunEnding({ runId, threadId: run.threadId, request: run.request, log, error: reason, newEventId: this.#newEventId });
      // Log first, end the row second: if the second step fails, the next sweep finds the run open and finishes it.
      // All or nothing: when another writer took one of these seqs, the run was alive after all; look at the log again.
      if (!(await this.#appendAtomically(ending, run.ownerId))) continue;
      await this.#runs.endExpired(runId, RunStatus.FAILED, reason, own?.nodeId);
      return true;
    }
    return false;
  }

  stats(): EventLogStats {
    return { ...this.#stats };
  }

  /** Writes what is queued, waits for its publication, then refuses further appends. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#queue.length > 0 || this.#flushing !== undefined) {
      if (this.#flushing === undefined) this.#startFlush();
      await this.#flushing;
    }
    await this.#publishing;
  }

  #schedule(): void {
    if (this.#flushing !== undefined || this.#queue.length === 0) return;
    if (this.#queue.length >= this.#maxBatch) {
      this.#startFlush();
      return;
    }
    this.#timer ??= setTimeout(() => this.#startFlush(), this.#intervalMs);
  }

  #startFlush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#flushing !== undefined || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, this.#maxBatch);
    this.#flushing = this.#write(batch).finally(() => {
      this.#flushing = undefined;
      this.#schedule();
    });
  }

  async #write(batch: PendingAppend[]): Promise<void> {
    let stored: Set<string>;
    try {
      stored = await retryThroughOutage(() => storeOnce(this.#db, batch), {
        budgetMs: this.#retryBudgetMs,
        what: `${batch.length} events could not be stored`,
      });
    } catch (error) {
      const failure =
        error instanceof ApexError
          ? error
          : new ApexError(ErrorCode.DATABASE_UNAVAILABLE, `The event log could not store ${batch.length} events; check the database.`, { cause: error });
      for (const pending of batch) pending.reject(failure);
      return;
    }
    const committed: RunEvent[] = [];
    for (const pending of batch) {
      const { run_id: runId, seq } = pending.event;
      if (stored.has(pending.event.event_id)) {
        committed.push(pending.event);
        continue;
      }
      pending.reject(
        new ApexError(
          ErrorCode.INVALID_EVENT,
          `Event ${seq} of run ${runId} was not stored: the run is not this user's, was already closed, or its log already has an event ${seq} (the run may have been closed as interrupted).`,
        ),
      );
    }
    this.#stats.flushes += 1;
    this.#stats.largestBatch = Math.max(this.#stats.largestBatch, batch.length);
    if (committed.length > 0) void this.#committed(committed);
    for (const pending of batch) if (stored.has(pending.event.event_id)) pending.resolve();
  }

  /** After a commit: counted, observed, and queued for the bus behind the batches committed before it. */
  #committed(events: readonly RunEvent[]): Promise<void> {
    this.#stats.events += events.length;
    try {
      this.#onCommitted(events);
    } catch (error) {
      // An observer's failure must not fail appends that are already committed.
      this.#onPublishError(error);
    }
    // Chained so batches reach the bus in commit order even when a publish is slow.
    this.#publishing = this.#publishing.then(() => this.#bus.publish(events)).catch(this.#onPublishError);
    return this.#publishing;
  }

  async #readAll(runId: string, owner: string): Promise<RunEvent[]> {
    const all: RunEvent[] = [];
    for (;;) {
      const page = await this.read(runId, owner, all.at(-1)?.seq ?? 0);
      all.push(...page);
      if (page.length < DEFAULT_READ_LIMIT) return all;
    }
  }

  /** Stores every event or none (one transaction), then publishes them after the batches already committed. */
  async #appendAtomically(events: readonly RunEvent[], owner: string): Promise<boolean> {
    const stored = await this.#db
      .transaction(async (tx) => {
        const written = await insertEvents(tx, events.map((event) => ({ event, owner })));
        if (written.size !== events.length) tx.rollback();
        return true;
      })
      .catch((error: unknown) => {
        if (error instanceof TransactionRollbackError) return false;
        throw error;
      });
    if (!stored) return false;
    await this.#committed(events);
    return true;
  }
}

function terminalStatus(event: RunEvent): { status: EndedRunStatus; error: WireError | null } | undefined {
  switch (event.type) {
    case EventType.RUN_COMPLETED:
      return { status: RunStatus.COMPLETED, error: null };
    case EventType.RUN_FAILED:
      return { status: RunStatus.FAILED, error: event.data.error };
    case EventType.RUN_CANCELLED:
      return { status: RunStatus.CANCELLED, error: null };
    default:
      return undefined;
  }
}

/**
 * One INSERT for the batch, then, for any event it did not store, whether the log already holds that very event (same
 * seq, same event id): an earlier attempt committed it but its answer was lost with the connection.
 */
async function storeOnce(db: StoreDb, batch: readonly { event: RunEvent; owner: string }[]): Promise<Set<string>> {
  const stored = await insertEvents(db, batch);
  const missing = batch.filter(({ event }) => !stored.has(event.event_id));
  if (missing.length === 0) return stored;
  const rows = await db
    .select({ eventId: sql<string>`${eventLog.envelope} ->> 'event_id'` })
    .from(eventLog)
    .where(
      and(
        inArray(eventLog.runId, [...new Set(missing.map(({ event }) => event.run_id))]),
        sql`${eventLog.envelope} ->> 'event_id' in (${sql.join(missing.map(({ event }) => sql`${event.event_id}`), sql`, `)})`,
      ),
    );
  for (const row of rows) stored.add(row.eventId);
  return stored;
}

/**
 * One statement for the whole batch; a row is kept only if its run is its owner's, still open (nothing is logged after
 * a run was closed, e.g. swept while its node was cut off) and its seq is free. Returns the
 * event ids actually stored: two appends with the same run and seq in one batch store one row, and only its event
 * counts as written.
 */
async function insertEvents(db: StoreDb, batch: readonly { event: RunEvent; owner: string }[]): Promise<Set<string>> {
  const values = sql.join(
    batch.map(({ event, owner }) => sql`(${event.run_id}::text, ${event.seq}::integer, ${JSON.stringify(event)}::jsonb, ${owner}::text)`),
    sql`, `,
  );
  const rows = await db
    .insert(eventLog)
    .select(
      sql`select v.run_id, v.seq, v.envelope from (values ${values}) as v(run_id, seq, envelope, owner_id), ${runs} where ${runs.id} = v.run_id and ${runs.ownerId} = v.owner_id and ${runs.endedAt} is null`,
    )
    .onConflictDoNothing()
    .returning({ eventId: sql<string>`${eventLog.envelope} ->> 'event_id'` });
  return new Set(rows.map((row) => row.eventId));
}
