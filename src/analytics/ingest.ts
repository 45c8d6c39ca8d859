import type { ReadItem, UsageReader } from "./read-usage.ts";
import type { PricedUsageRecord, UsageRecord } from "./record.ts";
import type { UsageStore } from "./store.ts";
import type { IngestSummary } from "../protocol/ingest-summary.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";

// Ingest: records from a reader, priced by the function the caller passes (analytics cannot import pricing), written
// to the usage store in batches. Bad lines are counted and the first ones kept with their line numbers; the rest goes on.
// Before each write the caller may admit fewer records than the batch holds (a quota): the admitted ones are written,
// and the ingest stops once no more are admitted. Duplicates never stop an ingest: a grown log uploaded again repeats
// its head, and its new tail must get in; what they cost is bounded by the upload's own bounds (bytes, time).

/** What pricing says of one record: the recomputed cost (null when unpriced) and whether the source's cost disagrees. */
export type RecordPricer = (record: UsageRecord) => { computed_cost_usd: number | null; cost_mismatch: boolean };

export interface IngestProgress {
  records: number;
  rejected: number;
  bytes: number;
  elapsedMs: number;
}

/** What the caller admits of a batch about to be written. */
export interface Admission {
  /** How many of the records asked for may be written now. */
  allowed: number;
  /** The error the ingest stops with when fewer were allowed than it holds (asked once the allowed ones are written). */
  stop?: () => Error;
}

/** One committed write: how many records it was admitted for, how many were new and how many already stored. */
export interface CommittedWrite {
  admitted: number;
  inserted: number;
  duplicates: number;
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
  /** Asked before each write with the number of records to write; absent, every record is admitted. */
  beforeWrite?: (count: number) => Promise<Admission>;
  /** Told after each write commits (before the next one is admitted). */
  afterWrite?: (write: CommittedWrite) => Promise<void>;
}

export type { IngestSummary };

const DEFAULT_BATCH = 5_000;
const DEFAULT_KEPT_REJECTIONS = 100;
const MAX_UNPRICED_MODELS = 1_000;
/**
 * Writes of part of a batch per ingest. A short admission writes its part and asks again, since the duplicates in it
 * are given back; the bound keeps a near-spent quota and a long run of duplicates from costing one write per record.
 */
const MAX_SHORT_WRITES = 16;

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
  let shortWrites = 0;
  let stopped = false;

  const write = async (records: PricedUsageRecord[]): Promise<void> => {
    let rest = records;
    while (rest.length > 0) {
      const admission = options.beforeWrite === undefined ? { allowed: rest.length } : await options.beforeWrite(rest.length);
      const allowed = Math.max(0, Math.min(rest.length, Math.floor(admission.allowed)));
      if (allowed > 0) {
        const part = allowed === rest.length ? rest : rest.slice(0, allowed);
        const written = await store.insert(options.owner, options.corpus, part);
        summary.ingested += written.inserted;
        summary.duplicates += written.duplicates;
        await options.afterWrite?.({ admitted: part.length, ...written });
        rest = rest.slice(allowed);
      }
      if (rest.length === 0) return;
      if (allowed === 0 || ++shortWrites > MAX_SHORT_WRITES) {
        throw admission.stop?.() ?? new ApexError(ErrorCode.QUOTA_EXCEEDED, `The ingest stopped after ${summary.ingested} records: no more were admitted.`);
      }
    }
  };

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
    writing = write(full).then(() => options.onProgress?.(progress));
    // Handled here so a failed write is not an unhandled rejection while the next batch is read; the next flush throws it.
    writing.catch(() => {
      stopped = true;
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
      if (batch.length >= batchSize || stopped) await flush();
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
