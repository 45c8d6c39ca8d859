import { ingestUsage, type IngestSummary } from "../analytics/ingest.ts";
import type { UsageReader } from "../analytics/read-usage.ts";
import type { UsageStore } from "../analytics/store.ts";
import type { PriceBook } from "../pricing/price-book.ts";
import type { ApexMetrics } from "../telemetry/metrics.ts";
import type { Quotas } from "./quotas.ts";

// The one way the server loads usage into an account: an upload and the demo data both arrive here as a reader, so
// both are validated, priced, deduplicated and counted against the owner's ingest quota alike.

export interface UsageIngestTarget {
  usage: UsageStore;
  prices: PriceBook;
  /** The per-tier ingest quota; absent, nothing is limited or logged. */
  quotas?: Pick<Quotas, "checkIngest" | "recordIngest">;
  /** Counts the records of every ingest (/metrics); absent, nothing is counted. */
  metrics?: Pick<ApexMetrics, "observeIngest">;
}

/**
 * Reads every record of `reader` into the owner's corpus, priced with the server's price book. Throws
 * `quota_exceeded` before reading when the owner has spent the day's ingest quota; the records ingested are logged.
 */
export async function ingestForOwner(target: UsageIngestTarget, reader: UsageReader, owner: string, corpus: string): Promise<IngestSummary> {
  await target.quotas?.checkIngest(owner);
  const summary = await ingestUsage(reader, target.usage, { owner, corpus, price: (record) => target.prices.price(record) });
  await target.quotas?.recordIngest(owner, corpus, summary.ingested);
  target.metrics?.observeIngest(summary);
  return summary;
}
