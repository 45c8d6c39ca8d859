import { and, desc, eq, max } from "drizzle-orm";
import { type CatalogEntry, CatalogEntrySchema } from "../protocol/catalog.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { StoreDb } from "./database.ts";
import { catalogVersions } from "./schema.ts";

// The supply catalog's versions, per scope (`global` or a tenant's user id). A version is never edited: a change or a
// rollback appends the next number. Version 0 of every scope is implicit (no row): no entries, the bundled prices alone.

export const GLOBAL_CATALOG_SCOPE = "global";

export interface StoredCatalogVersion {
  scope: string;
  version: number;
  authorId: string | null;
  authorEmail: string;
  reason: string;
  entries: CatalogEntry[];
  createdAt: Date;
}

export interface NewCatalogVersion {
  scope: string;
  authorId: string;
  authorEmail: string;
  reason: string;
  entries: readonly CatalogEntry[];
}

/** Version 0: what a scope holds before its first change. */
function emptyCatalogVersion(scope: string): StoredCatalogVersion {
  return { scope, version: 0, authorId: null, authorEmail: "bundled price data", reason: "the bundled price data", entries: [], createdAt: new Date(0) };
}

// Two admins saving the same scope at once both read the same max; the unique index lets one win, the other retries.
const APPEND_ATTEMPTS = 5;
const entriesOf = CatalogEntrySchema.array();

function stored(row: typeof catalogVersions.$inferSelect): StoredCatalogVersion {
  return { scope: row.scope, version: row.version, authorId: row.authorId, authorEmail: row.authorEmail, reason: row.reason, entries: entriesOf.parse(row.entries), createdAt: row.createdAt };
}

export class CatalogRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  /** The scope's newest version (version 0 when it has none). */
  async latest(scope: string): Promise<StoredCatalogVersion> {
    const [row] = await this.#db.select().from(catalogVersions).where(eq(catalogVersions.scope, scope)).orderBy(desc(catalogVersions.version)).limit(1);
    return row === undefined ? emptyCatalogVersion(scope) : stored(row);
  }

  /** One version of the scope; null when it does not exist. */
  async get(scope: string, version: number): Promise<StoredCatalogVersion | null> {
    if (version === 0) return emptyCatalogVersion(scope);
    const [row] = await this.#db
      .select()
      .from(catalogVersions)
      .where(and(eq(catalogVersions.scope, scope), eq(catalogVersions.version, version)))
      .limit(1);
    return row === undefined ? null : stored(row);
  }

  /** Every version of the scope, newest first, ending with the implicit version 0. */
  async history(scope: string): Promise<StoredCatalogVersion[]> {
    const rows = await this.#db.select().from(catalogVersions).where(eq(catalogVersions.scope, scope)).orderBy(desc(catalogVersions.version));
    return [...rows.map(stored), emptyCatalogVersion(scope)];
  }

  /** Stores `entries` as the scope's next version (max + 1). */
  async append(input: NewCatalogVersion): Promise<StoredCatalogVersion> {
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const [top] = await this.#db.select({ version: max(catalogVersions.version) }).from(catalogVersions).where(eq(catalogVersions.scope, input.scope));
      const [row] = await this.#db
        .insert(catalogVersions)
        .values({ scope: input.scope, version: (top?.version ?? 0) + 1, authorId: input.authorId, authorEmail: input.authorEmail, reason: input.reason, entries: [...input.entries] })
        .onConflictDoNothing({ target: [catalogVersions.scope, catalogVersions.version] })
        .returning();
      if (row !== undefined) return stored(row);
    }
    throw new ApexError(ErrorCode.INTERNAL, "The catalog changed under this save several times in a row; load it again and retry.", { retryable: true });
  }
}
