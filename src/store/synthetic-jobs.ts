import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray, notExists, sql } from "drizzle-orm";
import type { WireError } from "../protocol/events.ts";
import type { StoreDb } from "./database.ts";
import { RunStatus, runs, syntheticJobs } from "./schema.ts";

// Synthetic data jobs, one row each, always read and written through their owner: another user's job is not found.
// A job belongs to the run that plans it (REST may open the row first, the run's agent then takes it over).

export type SyntheticJob = typeof syntheticJobs.$inferSelect;

export interface NewSyntheticJob {
  ownerId: string;
  runId: string;
  profile: Record<string, unknown>;
  status: string;
  recordsTotal: number;
  corpus: string;
}

export class SyntheticJobRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  /** The run's job with this profile and status: updated when the run has one already, created otherwise. */
  async planForRun(input: NewSyntheticJob): Promise<SyntheticJob> {
    const fields = { profile: input.profile, status: input.status, recordsTotal: input.recordsTotal, corpus: input.corpus };
    const [updated] = await this.#db
      .update(syntheticJobs)
      .set(fields)
      .where(and(eq(syntheticJobs.ownerId, input.ownerId), eq(syntheticJobs.runId, input.runId)))
      .returning();
    if (updated !== undefined) return updated;
    const [created] = await this.#db.insert(syntheticJobs).values({ id: randomUUID(), ownerId: input.ownerId, runId: input.runId, ...fields }).returning();
    return created!;
  }

  async get(ownerId: string, id: string): Promise<SyntheticJob | null> {
    const [row] = await this.#db.select().from(syntheticJobs).where(and(eq(syntheticJobs.ownerId, ownerId), eq(syntheticJobs.id, id))).limit(1);
    return row ?? null;
  }

  /** The owner's jobs, newest first. */
  async list(ownerId: string, limit: number): Promise<SyntheticJob[]> {
    return this.#db.select().from(syntheticJobs).where(eq(syntheticJobs.ownerId, ownerId)).orderBy(desc(syntheticJobs.createdAt), desc(syntheticJobs.id)).limit(limit);
  }

  async update(ownerId: string, id: string, change: { status?: string; recordsTotal?: number; recordsDone?: number; profile?: Record<string, unknown>; corpus?: string }): Promise<void> {
    await this.#db.update(syntheticJobs).set(change).where(and(eq(syntheticJobs.ownerId, ownerId), eq(syntheticJobs.id, id)));
  }

  /** Ends the job with its final status (and error), stamping the time. */
  async finish(ownerId: string, id: string, status: string, change: { recordsDone?: number; error?: WireError } = {}): Promise<void> {
    await this.#db
      .update(syntheticJobs)
      .set({ status, ...change, finishedAt: sql`now()` })
      .where(and(eq(syntheticJobs.ownerId, ownerId), eq(syntheticJobs.id, id)));
  }

  /**
   * Ends, as `status` with `error`, every job still in one of `openStatuses` whose run is over or gone: a job lives
   * inside its run, so such a job was left open by a node that died (or a run closed before it could end the job).
   * Returns the ids ended, across all owners (the sweeper's view).
   */
  async endOrphaned(openStatuses: readonly string[], status: string, error: WireError): Promise<string[]> {
    // No live (queued or running) run of that id: ended, deleted by retention (run_id set null), or never there.
    const runOver = notExists(
      this.#db
        .select({ id: runs.id })
        .from(runs)
        .where(and(eq(runs.id, syntheticJobs.runId), inArray(runs.status, [RunStatus.QUEUED, RunStatus.RUNNING]))),
    );
    const rows = await this.#db
      .update(syntheticJobs)
      .set({ status, error, finishedAt: sql`now()` })
      .where(and(inArray(syntheticJobs.status, [...openStatuses]), runOver))
      .returning({ id: syntheticJobs.id });
    return rows.map((row) => row.id);
  }
}
