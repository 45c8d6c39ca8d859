import type { ReadItem, UsageReader } from "./read-usage.ts";
import type { PricedUsageRecord, UsageRecord } from "./record.ts";
import type { UsageStore } from "./store.ts";
import type { IngestSummary } from "../protocol/ingest-summary.ts";

// Ingest: records from a reader, priced by the function the caller passes (analytics cannot import pricing), written
// to the usage store in batches. Bad lines are counted and the first ones kept with their line numbers; the rest goes on.

/** What pricing says of one record: the recomputed cost (null when unpriced) and whether the source's cost disagrees. */
export type RecordPricer = (record: UsageRecord) => { computed_cost_usd: number | null; cost_mismatch: boolean };

export interface IngestProgress {
  records: number;
  rejected: number;
  bytes: number;
  elapsedMs: number;
}

export interface IngestOptions {
  owner: string;
  corpus: string;
  price: RecordPricer;
  /** Records per write (default 5,000). */
  batchSize?: number;
  /** How many rejected lines are kept with their reasons (default 100); all are counted. */
  keepRejections?: number;
  onProgress?: (progress: IngestProgress) => void;
}

export type { IngestSummary };

const DEFAULT_BATCH = 5_000;
const DEFAULT_KEPT_REJECTIONS = 100;
const MAX_UNPRICED_MODELS = 1_000;

export async function ingestUsage(reader: UsageReader, store: UsageStore, options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const keep = options.keepRejections ?? DEFAULT_KEPT_REJECTIONS;
  const summary: IngestSummary = {
    format: reader.format,
    records_read: 0,
    ingested: 0,
    duplicates: 0,
    rejected: 0,
    rejections: [],
    cost_mismatches: 0,
    unpriced_records: 0,
    unpriced_models: [],
    bytes: 0,
    duration_ms: 0,
  };
  const unpriced = new Set<string>();
  let batch: PricedUsageRecord[] = [];
  // One write in flight while the next batch is read: reading and writing overlap, writes stay in order.
  let writing: Promise<void> = Promise.resolve();

  const flush = async (): Promise<void> => {
    await writing;
    if (batch.length === 0) return;
    const full = batch;
    batch = [];
    const progress: IngestProgress = {
      records: summary.records_read,
      rejected: summary.rejected,
      bytes: reader.bytesRead(),
      elapsedMs: performance.now() - started,
    };
    writing = store.insert(options.owner, options.corpus, full).then((written) => {
      summary.ingested += written.inserted;
      summary.duplicates += written.duplicates;
      options.onProgress?.(progress);
    });
  };

  const take = (item: ReadItem): void => {
    if (item.kind === "rejected") {
      summary.rejected += 1;
      if (summary.rejections.length < keep) summary.rejections.push({ line: item.line, reason: item.reason });
      return;
    }
    summary.records_read += 1;
    const priced = options.price(item.record);
    if (priced.computed_cost_usd === null) {
      summary.unpriced_records += 1;
      if (unpriced.size < MAX_UNPRICED_MODELS) unpriced.add(item.record.model);
    }
    if (priced.cost_mismatch) summary.cost_mismatches += 1;
    batch.push({ ...item.record, computed_cost_usd: priced.computed_cost_usd, cost_mismatch: priced.cost_mismatch });
  };

  try {
    for await (const item of reader.items) {
      take(item);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    await writing;
  } finally {
    await writing.catch(() => undefined);
    await reader.close();
  }
  summary.unpriced_models = [...unpriced].sort();
  summary.bytes = reader.bytesRead();
  summary.duration_ms = performance.now() - started;
  return summary;
}
