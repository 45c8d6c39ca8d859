import { randomUUID } from "node:crypto";
import { and, asc, eq, isNull, lte, sql } from "drizzle-orm";
import { ApexError } from "../protocol/errors.ts";
import type { WireError } from "../protocol/events.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { StoreDb } from "./database.ts";
import { RunStatus, runs, threads } from "./schema.ts";

// Runs and their lifecycle. A run carries a lease (node id + expiry, in database time so node clocks do not matter):
// the node executing it renews the lease; a sweeper closes runs whose lease lapsed (their node died).

export type Run = typeof runs.$inferSelect;
export type EndedRunStatus = typeof RunStatus.COMPLETED | typeof RunStatus.FAILED | typeof RunStatus.CANCELLED;

export interface NewRun {
  /** Chosen by the caller when the id must be known first (the engine factory accepts it); generated otherwise. */
  id?: string;
  ownerId: string;
  threadId: string;
  request: string;
  /** The node that will execute the run: it holds the lease from creation on. */
  nodeId: string;
  leaseMs: number;
}

/** A run whose lease lapsed before it ended. */
export interface ExpiredRun {
  id: string;
  ownerId: string;
  threadId: string;
  request: string;
  nodeId: string;
  leaseExpiresAt: Date;
}

const EXPIRED_FIELDS = { id: runs.id, ownerId: runs.ownerId, threadId: runs.threadId, request: runs.request, nodeId: runs.nodeId, leaseExpiresAt: runs.leaseExpiresAt };

function closable(runId: string, ownNode: string | undefined) {
  const whose = ownNode === undefined ? lte(runs.leaseExpiresAt, sql`now()`) : eq(runs.nodeId, ownNode);
  return and(eq(runs.id, runId), isNull(runs.endedAt), whose);
}

function leaseUntil(ttlMs: number) {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new ApexError(ErrorCode.INVALID_CONFIG, `A run lease must last a positive number of milliseconds, not ${ttlMs}.`);
  }
  return sql`now() + ${Math.round(ttlMs)} * interval '1 millisecond'`;
}

export class RunRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  /** Stores a queued run in the owner's thread; throws `not_found` when the thread is not the owner's. */
  async create(input: NewRun): Promise<Run> {
    const [thread] = await this.#db
      .select({ id: threads.id })
      .from(threads)
      .where(and(eq(threads.id, input.threadId), eq(threads.ownerId, input.ownerId)))
      .limit(1);
    if (thread === undefined) throw new ApexError(ErrorCode.NOT_FOUND, `Thread ${input.threadId} was not found; start a new conversation.`);
    const [created] = await this.#db
      .insert(runs)
      .values({
        id: input.id ?? randomUUID(),
        ownerId: input.ownerId,
        threadId: input.threadId,
        request: input.request,
        nodeId: input.nodeId,
        leaseExpiresAt: leaseUntil(input.leaseMs),
      })
      .onConflictDoNothing({ target: runs.id })
      .returning();
    if (created === undefined) throw new ApexError(ErrorCode.INVALID_REQUEST, `Run ${input.id} already exists; every run needs a new id.`);
    return created;
  }

  async get(ownerId: string, runId: string): Promise<Run | null> {
    const [found] = await this.#db
      .select()
      .from(runs)
      .where(and(eq(runs.id, runId), eq(runs.ownerId, ownerId)))
      .limit(1);
    return found ?? null;
  }

  /** The runs of the owner's thread, oldest first; empty for another user's thread. */
  async listByThread(ownerId: string, threadId: string): Promise<Run[]> {
    return this.#db
      .select()
      .from(runs)
      .where(and(eq(runs.threadId, threadId), eq(runs.ownerId, ownerId)))
      .orderBy(asc(runs.createdAt), asc(runs.id));
  }

  /** queued → running; false when the owner has no such queued run. */
  async markStarted(ownerId: string, runId: string): Promise<boolean> {
    const updated = await this.#db
      .update(runs)
      .set({ status: RunStatus.RUNNING, startedAt: sql`now()` })
      .where(and(eq(runs.id, runId), eq(runs.ownerId, ownerId), eq(runs.status, RunStatus.QUEUED)))
      .returning({ id: runs.id });
    return updated.length > 0;
  }

  async markCompleted(ownerId: string, runId: string): Promise<boolean> {
    return this.#end(ownerId, runId, RunStatus.COMPLETED, null);
  }

  async markFailed(ownerId: string, runId: string, error: WireError): Promise<boolean> {
    return this.#end(ownerId, runId, RunStatus.FAILED, error);
  }

  async markCancelled(ownerId: string, runId: string): Promise<boolean> {
    return this.#end(ownerId, runId, RunStatus.CANCELLED, null);
  }

  /** Extends the lease of a run `nodeId` executes; false when the run ended or another node holds it. */
  async renewLease(runId: string, nodeId: string, ttlMs: number): Promise<boolean> {
    const renewed = await this.#db
      .update(runs)
      .set({ leaseExpiresAt: leaseUntil(ttlMs) })
      .where(and(eq(runs.id, runId), eq(runs.nodeId, nodeId), isNull(runs.endedAt)))
      .returning({ id: runs.id });
    return renewed.length > 0;
  }

  /** Open runs whose lease lapsed at `now` (database time when absent), oldest lease first. */
  async expiredRuns(now?: Date, limit = 100): Promise<ExpiredRun[]> {
    return this.#db
      .select(EXPIRED_FIELDS)
      .from(runs)
      .where(and(isNull(runs.endedAt), now === undefined ? lte(runs.leaseExpiresAt, sql`now()`) : lte(runs.leaseExpiresAt, now)))
      .orderBy(asc(runs.leaseExpiresAt))
      .limit(limit);
  }

  /**
   * Ends an open run whose lease has lapsed (database time), whoever owns it; null when it ended or was renewed. With
   * `ownNode`, ends that node's open run whatever its lease says (the node closes a run it could not end itself).
   */
  async endExpired(runId: string, status: EndedRunStatus, error: WireError | null, ownNode?: string): Promise<Run | null> {
    const [ended] = await this.#db
      .update(runs)
      .set({ status, error, endedAt: sql`now()` })
      .where(closable(runId, ownNode))
      .returning();
    return ended ?? null;
  }

  /** The run if it is open and its lease has lapsed (database time), or with `ownNode` if it is that node's open run. */
  async findExpired(runId: string, ownNode?: string): Promise<ExpiredRun | null> {
    const [found] = await this.#db.select(EXPIRED_FIELDS).from(runs).where(closable(runId, ownNode)).limit(1);
    return found ?? null;
  }

  async #end(ownerId: string, runId: string, status: EndedRunStatus, error: WireError | null): Promise<boolean> {
    const ended = await this.#db
      .update(runs)
      .set({ status, error, endedAt: sql`now()` })
      .where(and(eq(runs.id, runId), eq(runs.ownerId, ownerId), isNull(runs.endedAt)))
      .returning({ id: runs.id });
    return ended.length > 0;
  }
}
