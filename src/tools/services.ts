import type { UsageQueries } from "../analytics/store.ts";
import type { LlmProvider } from "../llm/provider.ts";
import type { PriceBook } from "../pricing/price-book.ts";

// What agents and tools receive from the factory besides the request context: shared, stateless-per-request services.
// Per-user scoping is not in here: tools take the owner from the call's context (`call.context.userId`), never from
// parameters, so a tool cannot be asked for another account's rows.

export interface ApexServices {
  /** The usage store's read side (DuckDB or PostgreSQL). */
  usage: UsageQueries;
  /** Prices: cost recomputation, per-model prices, cheaper same-provider models. */
  prices: PriceBook;
  /** The configured model (offline by default); agents wrap it with `withFallback` so a failure is said out loud. */
  llm: LlmProvider;
}
