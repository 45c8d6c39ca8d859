import { ingestUsage, type IngestSummary } from "../analytics/ingest.ts";
import type { UsageReader } from "../analytics/read-usage.ts";
import type { UsageStore } from "../analytics/store.ts";
import type { PriceBook } from "../pricing/price-book.ts";
import type { ApexMetrics } from "../telemetry/metrics.ts";
import type { IngestCharge } from "./ingest-charge.ts";
import type { Quotas } from "./quotas.ts";

// The one way the server loads usage into an account: an upload, the demo data and synthetic jobs all arrive here as a
// reader, so all are validated, priced, deduplicated, charged batch by batch against the owner's ingest quota and
// recorded in the ingest log (complete, or partial with the records kept) alike.

export interface UsageIngestTarget {
  usage: UsageStore;
  prices: PriceBook;
  /** The per-tier ingest quota and the ingest log; absent, nothing is limited or logged. */
  quotas?: Pick<Quotas, "openIngest">;
  /** Counts the records of every ingest (/metrics); absent, nothing is counted. */
  metrics?: Pick<ApexMetrics, "observeIngest">;
}

/**
 * Reads every record of `reader` into the owner's corpus, priced with the server's price book. Throws
 * `quota_exceeded` before reading when the owner has spent the day's ingest quota, and after the records that fit when
 * it runs out mid-way. Whatever stops an ingest, it is charged exactly the records it kept, and its corpus is marked
 * partial when that is anything; the error thrown says how many.
 */
export async function ingestForOwner(target: UsageIngestTarget, reader: UsageReader, owner: string, corpus: string): Promise<IngestSummary> {
  let charge: IngestCharge | undefined;
  try {
    charge = await target.quotas?.openIngest(owner, corpus);
  } catch (error) {
    await reader.close().catch(() => undefined);
    throw error;
  }
  try {
    const price = (record: Parameters<PriceBook["price"]>[0]) => target.prices.price(record);
    const hooks = charge === undefined ? {} : { beforeWrite: charge.beforeWrite, afterWrite: charge.afterWrite };
    const summary = await ingestUsage(reader, target.usage, { owner, corpus, price, ...hooks });
    await charge?.complete();
    target.metrics?.observeIngest(summary);
    return summary;
  } catch (error) {
    // Recording the failure must not hide it: a store that cannot record it leaves the ingest to the lease sweeper.
    throw charge === undefined ? error : await charge.fail(error).catch(() => error);
  }
}
