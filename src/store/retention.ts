import { and, inArray, isNotNull, lt, notInArray, sql } from "drizzle-orm";
import { EventType, TERMINAL_EVENTS } from "../protocol/names.ts";
import type { StoreDb } from "./database.ts";
import { eventLog, runs } from "./schema.ts";

// Retention of finished runs: a run that ended long enough ago keeps its row, its final report and its terminal event;
// the rest of its event log (thoughts, tool calls, partial results) is deleted. One node at a time does it: the pass
// runs in one transaction under an advisory lock, and a node that finds the lock taken skips its turn.

/** The advisory lock of a retention pass (a test holds it to play another node). */
export const RETENTION_LOCK_KEY = 4_170_061_009;
/** The events a compacted run keeps: what its report and its outcome are read from. */
const KEPT_EVENTS: readonly string[] = [EventType.FINAL_REPORT, ...TERMINAL_EVENTS];
/** Runs compacted per statement, so one pass never holds a huge delete open. */
const BATCH_RUNS = 500;

export interface Compaction {
  /** Runs whose logs lost events in this pass. */
  runs: number;
  /** Events deleted. */
  events: number;
}

/** The lock of the usage-data pass (its work is in the usage store; the lock lives here, in the app store). */
const USAGE_RETENTION_LOCK_KEY = 4_170_061_010;

/**
 * Runs `work` in a transaction of the app store (given to it) while holding a retention advisory lock; null, without
 * running it, when another node holds it. `which` picks the lock: the runs pass or the usage pass.
 */
export async function withRetentionLock<T>(db: StoreDb, which: "runs" | "usage", work: (tx: StoreDb) => Promise<T>): Promise<T | null> {
  const key = which === "runs" ? RETENTION_LOCK_KEY : USAGE_RETENTION_LOCK_KEY;
  return db.transaction(async (tx) => {
    const lock = await tx.execute(sql`select pg_try_advisory_xact_lock(${key}) as locked`);
    if ((lock as unknown as { rows: { locked: boolean }[] }).rows[0]?.locked !== true) return null;
    return work(tx);
  });
}

/** Compacts every run that ended before `endedBefore`; null when another node holds the retention lock. */
export async function compactEndedRuns(db: StoreDb, endedBefore: Date): Promise<Compaction | null> {
  return withRetentionLock(db, "runs", async (tx) => {
    const total: Compaction = { runs: 0, events: 0 };
    for (;;) {
      // Runs that still hold an event that is not kept: once compacted, a run is never looked at again.
      const due = await tx
        .selectDistinct({ id: eventLog.runId })
        .from(eventLog)
        .innerJoin(runs, sql`${runs.id} = ${eventLog.runId}`)
        .where(and(isNotNull(runs.endedAt), lt(runs.endedAt, endedBefore), notInArray(sql`${eventLog.envelope} ->> 'type'`, [...KEPT_EVENTS])))
        .limit(BATCH_RUNS);
      if (due.length === 0) return total;
      const deleted = await tx
        .delete(eventLog)
        .where(and(inArray(eventLog.runId, due.map((run) => run.id)), notInArray(sql`${eventLog.envelope} ->> 'type'`, [...KEPT_EVENTS])))
        .returning({ runId: eventLog.runId });
      total.runs += due.length;
      total.events += deleted.length;
    }
  });
}
