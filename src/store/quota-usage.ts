import { and, asc, eq, gt, sql, type AnyColumn } from "drizzle-orm";
import type { StoreDb } from "./database.ts";
import { ingestLog, runs } from "./schema.ts";

// What the per-tier quotas count, in database time so node clocks do not matter: the runs a user started and the
// records a user ingested within a sliding window (the last hour, the last day). Ingests write their rows themselves
// (ingest-log.ts).

/** One use inside the window: when, and how much of the quota it took. */
export interface WindowUse {
  at: Date;
  amount: number;
}

function withinLast(column: AnyColumn, windowMs: number) {
  return gt(column, sql`now() - ${Math.round(windowMs)} * interval '1 millisecond'`);
}

export class QuotaUsageRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  /** The owner's runs created within the last `windowMs`, oldest first, one unit each. */
  async runsWithin(ownerId: string, windowMs: number): Promise<WindowUse[]> {
    return this.#db
      .select({ at: runs.createdAt, amount: sql<number>`1`.mapWith(Number) })
      .from(runs)
      .where(and(eq(runs.ownerId, ownerId), withinLast(runs.createdAt, windowMs)))
      .orderBy(asc(runs.createdAt));
  }

  /** The owner's ingests within the last `windowMs`, oldest first, each with its record count. */
  async ingestsWithin(ownerId: string, windowMs: number): Promise<WindowUse[]> {
    return this.#db
      .select({ at: ingestLog.at, amount: ingestLog.records })
      .from(ingestLog)
      .where(and(eq(ingestLog.ownerId, ownerId), withinLast(ingestLog.at, windowMs)))
      .orderBy(asc(ingestLog.at), asc(ingestLog.id));
  }
}
