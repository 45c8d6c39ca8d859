import { and, eq } from "drizzle-orm";
import type { StoreDb } from "./database.ts";
import { corpusRetention } from "./schema.ts";

// Per-corpus retention of usage records, set by the corpus's owner. A corpus without a setting follows the server's
// default (APEX_USAGE_RETENTION_DAYS); a setting of 0 keeps the corpus whole whatever the default.

export interface CorpusRetentionSetting {
  ownerId: string;
  corpus: string;
  days: number;
}

export class CorpusRetentionRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  /** Sets the owner's corpus to keep `days` days of records; null removes the setting (back to the default). */
  async set(ownerId: string, corpus: string, days: number | null): Promise<void> {
    if (days === null) {
      await this.#db.delete(corpusRetention).where(and(eq(corpusRetention.ownerId, ownerId), eq(corpusRetention.corpus, corpus)));
      return;
    }
    await this.#db
      .insert(corpusRetention)
      .values({ ownerId, corpus, days })
      .onConflictDoUpdate({ target: [corpusRetention.ownerId, corpusRetention.corpus], set: { days, updatedAt: new Date() } });
  }

  async get(ownerId: string, corpus: string): Promise<number | null> {
    const [row] = await this.#db
      .select({ days: corpusRetention.days })
      .from(corpusRetention)
      .where(and(eq(corpusRetention.ownerId, ownerId), eq(corpusRetention.corpus, corpus)))
      .limit(1);
    return row?.days ?? null;
  }

  /**
   * Moves the setting along with a renamed corpus. A setting already under the new name is a leftover (the new name is
   * checked to be free of records before a rename) and gives way, instead of failing the rename on the unique key.
   */
  async rename(ownerId: string, corpus: string, name: string): Promise<void> {
    if (name === corpus) return;
    await this.#db.delete(corpusRetention).where(and(eq(corpusRetention.ownerId, ownerId), eq(corpusRetention.corpus, name)));
    await this.#db
      .update(corpusRetention)
      .set({ corpus: name, updatedAt: new Date() })
      .where(and(eq(corpusRetention.ownerId, ownerId), eq(corpusRetention.corpus, corpus)));
  }

  async all(): Promise<CorpusRetentionSetting[]> {
    return this.#db.select({ ownerId: corpusRetention.ownerId, corpus: corpusRetention.corpus, days: corpusRetention.days }).from(corpusRetention);
  }
}
