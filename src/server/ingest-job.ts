import type { ServerResponse } from "node:http";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import type { ReadOptions } from "../analytics/read-usage.ts";

// One upload's ingest as a job nobody need watch: its signal aborts when the client goes away before the answer is
// sent, or at the job's deadline, so a reader thread never works on for a client that left or for ever; and once the
// job is over (whatever its end) the signal aborts too, so nothing it started outlives it.

/** The bounds on reading one upload (APEX_INGEST_MAX_LINE_BYTES, APEX_UPLOAD_INFLATED_LIMIT_BYTES, APEX_INGEST_TIMEOUT_MS). */
export interface IngestBounds {
  maxLineChars: number;
  inflatedLimitBytes: number;
  timeoutMs: number;
}

/** The reader options that carry the bounds. */
export function boundedRead(bounds: IngestBounds): Pick<ReadOptions, "maxEntryChars" | "maxInflatedBytes"> {
  return { maxEntryChars: bounds.maxLineChars, maxInflatedBytes: bounds.inflatedLimitBytes };
}

function timedOut(timeoutMs: number): ApexError {
  return new ApexError(
    ErrorCode.INGEST_TIMEOUT,
    `Reading the upload took longer than ${timeoutMs} ms, the most one ingest may take (${EnvVar.INGEST_TIMEOUT_MS}), and was stopped; split the file into smaller ones.`,
    { details: { timeout_ms: timeoutMs } },
  );
}

function clientGone(): ApexError {
  return new ApexError(ErrorCode.CANCELLED, "The client went away before the ingest ended; it was stopped.");
}

/** Runs `work` with a signal that aborts when `response`'s client goes away, at the deadline, and when work ends. */
export async function runIngestJob<T>(response: ServerResponse, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onClose = () => {
    if (!response.writableFinished) controller.abort(clientGone());
  };
  response.once("close", onClose);
  const deadline = setTimeout(() => controller.abort(timedOut(timeoutMs)), timeoutMs);
  try {
    if (response.destroyed) onClose();
    return await work(controller.signal);
  } finally {
    clearTimeout(deadline);
    response.off("close", onClose);
    controller.abort();
  }
}
