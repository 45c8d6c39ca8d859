import { ErrorCode } from "../protocol/names.ts";
import { CorpusStatus, type CorpusIngestStatus } from "../protocol/rest.ts";
import type { CorpusIngestRow, IngestLogRepository } from "../store/ingest-log.ts";
import { IngestStatus } from "../store/schema.ts";

// A corpus's status as REST and chat show it, from the latest ingest into it in the ingest log: partial (with the
// records it kept and why it stopped) until an ingest into it completes, e.g. the same file uploaded again.

export type IngestStates = Pick<IngestLogRepository, "latestByCorpus">;

/** The status of a corpus whose latest ingest is `row` (none: loaded before ingests were logged, or by the CLI). */
export function corpusStatus(row: CorpusIngestRow | undefined): CorpusIngestStatus {
  if (row?.status === IngestStatus.PARTIAL) {
    return { status: CorpusStatus.PARTIAL, partial: { records_kept: row.records, reason: row.errorCode ?? ErrorCode.INTERRUPTED, at: row.at.toISOString() } };
  }
  return { status: row?.status === IngestStatus.RUNNING ? CorpusStatus.INGESTING : CorpusStatus.COMPLETE, partial: null };
}

/** `corpora` of `owner`, each with its status. */
export async function withStatus<T extends { corpus: string }>(states: IngestStates, owner: string, corpora: readonly T[]): Promise<(T & CorpusIngestStatus)[]> {
  if (corpora.length === 0) return [];
  const latest = await states.latestByCorpus(owner, corpora.length === 1 ? corpora[0]!.corpus : undefined);
  return corpora.map((corpus) => ({ ...corpus, ...corpusStatus(latest.get(corpus.corpus)) }));
}

/** The JSON schema of a status on a REST answer (fastify drops the properties a response schema does not name). */
export const corpusStatusSchema = {
  status: { type: "string", enum: Object.values(CorpusStatus) },
  partial: {
    type: ["object", "null"],
    required: ["records_kept", "reason", "at"],
    properties: { records_kept: { type: "integer" }, reason: { type: "string" }, at: { type: "string", format: "date-time" } },
  },
} as const;
