import { and, asc, desc, eq, gt, inArray, isNull, lt, ne, or, sql } from "drizzle-orm";
import type { StoreDb } from "./database.ts";
import type { WindowUse } from "./quota-usage.ts";
import { ingestLog, IngestStatus, type IngestStatusName } from "./schema.ts";

// The ingest log: one row per ingest into a corpus, holding what it reserved and kept of the owner's per-day quota and
// where it is. Reservations are decided under a per-owner advisory transaction lock, so parallel ingests on every node
// see each other's reservations; times are the database's, so node clocks do not matter.

/** How the latest ingest into a corpus stands (deleted corpora's ingests are left out). */
export interface CorpusIngestRow {
  corpus: string;
  status: IngestStatusName;
  records: number;
  errorCode: string | null;
  at: Date;
  finishedAt: Date | null;
}

export interface Reservation {
  /** How many of the records asked for fit the quota (all of them without a limit). */
  granted: number;
  /** The owner's ingests inside the window once this reservation is counted, oldest first (for the reset time). */
  uses: WindowUse[];
}

export interface IngestStart {
  ownerId: string;
  corpus: string;
  nodeId: string;
  leaseMs: number;
}

const ms = (value: number) => sql`${Math.round(value)} * interval '1 millisecond'`;

export class IngestLogRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  /** Records an ingest in progress on `nodeId`, holding a lease for `leaseMs`; its id. */
  async begin({ ownerId, corpus, nodeId, leaseMs }: IngestStart): Promise<number> {
    const [row] = await this.#db
      .insert(ingestLog)
      .values({ ownerId, corpus, records: 0, status: IngestStatus.RUNNING, nodeId, leaseExpiresAt: sql`now() + ${ms(leaseMs)}` })
      .returning({ id: ingestLog.id });
    return row!.id;
  }

  /**
   * Reserves up to `wanted` records of the owner's `limit` per `windowMs` (0: no limit) for ingest `id`, atomically
   * with every other reservation of that owner, and renews the ingest's lease.
   */
  async reserve(id: number, ownerId: string, wanted: number, quota: { limit: number; windowMs: number; leaseMs: number }): Promise<Reservation> {
    return this.#db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('apex.ingest_quota'), hashtext(${ownerId}))`);
      const uses = await tx
        .select({ id: ingestLog.id, at: ingestLog.at, amount: ingestLog.records })
        .from(ingestLog)
        .where(and(eq(ingestLog.ownerId, ownerId), gt(ingestLog.at, sql`now() - ${ms(quota.windowMs)}`)))
        .orderBy(asc(ingestLog.at), asc(ingestLog.id));
      const used = uses.reduce((sum, use) => sum + use.amount, 0);
      const granted = quota.limit === 0 ? wanted : Math.max(0, Math.min(wanted, quota.limit - used));
      await tx
        .update(ingestLog)
        .set({ records: sql`${ingestLog.records} + ${granted}`, leaseExpiresAt: sql`now() + ${ms(quota.leaseMs)}` })
        .where(eq(ingestLog.id, id));
      return { granted, uses: uses.map((use) => ({ at: use.at, amount: use.id === id ? use.amount + granted : use.amount })) };
    });
  }

  /** Gives back `records` of what ingest `id` reserved (duplicates it did not write, a batch that failed). */
  async release(id: number, records: number): Promise<void> {
    if (records <= 0) return;
    await this.#db
      .update(ingestLog)
      .set({ records: sql`greatest(0, ${ingestLog.records} - ${records})` })
      .where(eq(ingestLog.id, id));
  }

  /** Extends the lease of ingest `id` while `nodeId` still runs it; false when it is no longer running there. */
  async renew(id: number, nodeId: string, leaseMs: number): Promise<boolean> {
    const renewed = await this.#db
      .update(ingestLog)
      .set({ leaseExpiresAt: sql`now() + ${ms(leaseMs)}` })
      .where(and(eq(ingestLog.id, id), eq(ingestLog.status, IngestStatus.RUNNING), eq(ingestLog.nodeId, nodeId)))
      .returning({ id: ingestLog.id });
    return renewed.length > 0;
  }

  /** Ends ingest `id` as complete or partial, charged exactly the `records` it kept. */
  async finish(id: number, outcome: { status: typeof IngestStatus.COMPLETE | typeof IngestStatus.PARTIAL; records: number; errorCode?: string }): Promise<void> {
    await this.#db
      .update(ingestLog)
      .set({ status: outcome.status, records: outcome.records, errorCode: outcome.errorCode ?? null, finishedAt: sql`now()`, leaseExpiresAt: null })
      .where(eq(ingestLog.id, id));
  }

  /** Removes ingest `id`: it kept nothing and is charged nothing, so the corpus stands as it did before it. */
  async discard(id: number): Promise<void> {
    await this.#db.delete(ingestLog).where(eq(ingestLog.id, id));
  }

  /**
   * Closes as partial (`errorCode`) the ingests whose node died: their lease lapsed, or every running one when
   * `everyRunning` (a node that owns the store alone, at start-up). The number closed.
   */
  async endAbandoned(errorCode: string, options: { everyRunning?: boolean } = {}): Promise<number> {
    const running = eq(ingestLog.status, IngestStatus.RUNNING);
    const lapsed = or(isNull(ingestLog.leaseExpiresAt), lt(ingestLog.leaseExpiresAt, sql`now()`));
    const closed = await this.#db
      .update(ingestLog)
      .set({ status: IngestStatus.PARTIAL, errorCode, finishedAt: sql`now()`, leaseExpiresAt: null })
      .where(options.everyRunning === true ? running : and(running, lapsed))
      .returning({ id: ingestLog.id });
    return closed.length;
  }

  /** The latest ingest into each of the owner's corpora (by corpus name). */
  async latestByCorpus(ownerId: string, corpus?: string): Promise<Map<string, CorpusIngestRow>> {
    const rows = await this.#db
      .selectDistinctOn([ingestLog.corpus], {
        corpus: ingestLog.corpus,
        status: ingestLog.status,
        records: ingestLog.records,
        errorCode: ingestLog.errorCode,
        at: ingestLog.at,
        finishedAt: ingestLog.finishedAt,
      })
      .from(ingestLog)
      .where(
        and(
          eq(ingestLog.ownerId, ownerId),
          ne(ingestLog.status, IngestStatus.DELETED),
          corpus === undefined ? undefined : eq(ingestLog.corpus, corpus),
        ),
      )
      .orderBy(ingestLog.corpus, desc(ingestLog.id));
    return new Map(rows.map((row) => [row.corpus, row]));
  }

  /** Moves the corpus's ingests to its new name (a rename). */
  async renameCorpus(ownerId: string, corpus: string, name: string): Promise<void> {
    if (corpus === name) return;
    await this.#db.update(ingestLog).set({ corpus: name }).where(and(eq(ingestLog.ownerId, ownerId), eq(ingestLog.corpus, corpus)));
  }

  /** Detaches the finished ingests of a deleted corpus from its name (they still count for the quota). */
  async forgetCorpus(ownerId: string, corpus: string): Promise<void> {
    await this.#db
      .update(ingestLog)
      .set({ status: IngestStatus.DELETED })
      .where(
        and(eq(ingestLog.ownerId, ownerId), eq(ingestLog.corpus, corpus), inArray(ingestLog.status, [IngestStatus.COMPLETE, IngestStatus.PARTIAL])),
      );
  }
}
