import type { UsageQueries } from "../analytics/store.ts";
import type { LlmProvider } from "../llm/provider.ts";
import type { PriceBook } from "../pricing/price-book.ts";
import type { CatalogPin } from "../protocol/catalog.ts";
import type { CatalogAccess } from "./catalog-access.ts";
import type { CorpusAdministration } from "./corpus-administration.ts";
import type { SyntheticJobs } from "./synthetic-jobs.ts";
import type { UserAdministration } from "./user-administration.ts";

// What agents and tools receive from the factory besides the request context: shared, stateless-per-request services.
// Per-user scoping is not in here: tools take the owner from the call's context (`call.context.userId`), never from
// parameters, so a tool cannot be asked for another account's rows.

export interface ApexServices {
  /** The usage store's read side (DuckDB or PostgreSQL). */
  usage: UsageQueries;
  /** Prices: cost recomputation, per-model prices, cheaper same-provider models. */
  prices: PriceBook;
  /** The supply catalog versions `prices` was built from, pinned when the run started (absent: bundled data only). */
  catalogPin?: CatalogPin;
  /** The supply catalog's store (on a server; absent in `apex analyze`). */
  catalog?: CatalogAccess;
  /** The configured model (offline by default); agents wrap it with `withFallback` so a failure is said out loud. */
  llm: LlmProvider;
  /** Synthetic data jobs: their table and the ingest path (on a server; absent in `apex analyze`). */
  synthetic?: SyntheticJobs;
  /** How long an agent's approval question stays open (a server's setting; a default otherwise). */
  approvalTtlMs?: number;
  /** Renaming and deleting corpora with their settings, audited (on a server; absent: the usage store alone). */
  corpora?: CorpusAdministration;
  /** Account administration, audited (on a server; absent in `apex analyze`). */
  admin?: UserAdministration;
}
