import type { CatalogEdit, CatalogEntry, CatalogPin, CatalogScopeName, CatalogVersionSummary } from "../protocol/catalog.ts";

// What the server offers the catalog tools (implemented over the app store, audited there): tools reach no store.

export interface CatalogMatch {
  source: CatalogScopeName;
  entry: CatalogEntry;
}

export interface CatalogAccess {
  /** `userId`'s entry for `model` in the catalog versions `pin` (the latest when absent); null when only bundled. */
  lookup(userId: string, model: string, pin: CatalogPin | undefined): Promise<CatalogMatch | null>;
  /** Writes a new version as `actorId` (an admin; anyone else is refused and audited). */
  update(actorId: string, edit: CatalogEdit): Promise<CatalogVersionSummary>;
}
