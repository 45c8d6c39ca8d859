import { parentPort, workerData } from "node:worker_threads";
import { isApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { FromReader, ReaderJob, ToReader } from "./read-usage-in-worker.ts";
import { openUsageReader, type ReadItem } from "./read-usage.ts";

// The body of a usage-reader thread: reads one file with the ordinary reader and posts its items in batches, one batch
// per credit the main thread grants, so a slow consumer holds the reader back instead of filling memory.

const port = parentPort;
if (port === null) throw new Error("read-usage-worker.ts runs in a worker thread");
const job = workerData as ReaderJob;
const post = (message: FromReader) => port.postMessage(message);

let credits = 0;
let granted: (() => void) | undefined;
port.on("message", (message: ToReader) => {
  credits += message.credits;
  granted?.();
});

async function credit(): Promise<void> {
  while (credits === 0) await new Promise<void>((resolve) => (granted = resolve));
  credits -= 1;
}

/** Items read but not yet posted: on an error they still go first, so the caller keeps what was read before it. */
let batch: ReadItem[] = [];
let bytesRead = 0;

async function run(): Promise<void> {
  const reader = await openUsageReader(job.path, job.options);
  post({ type: "open", format: reader.format });
  for await (const item of reader.items) {
    batch.push(item);
    if (batch.length < job.batchItems) continue;
    bytesRead = reader.bytesRead();
    await credit();
    post({ type: "batch", items: batch, bytesRead });
    batch = [];
  }
  await credit();
  post({ type: "end", items: batch, bytesRead: reader.bytesRead() });
}

async function fail(error: unknown): Promise<void> {
  if (batch.length > 0) {
    await credit();
    post({ type: "batch", items: batch, bytesRead });
  }
  const failure = isApexError(error)
    ? { code: error.code, message: error.message, details: error.details }
    : { code: ErrorCode.INTERNAL, message: `The usage reader failed: ${(error as Error).message}` };
  post({ type: "failure", error: failure });
}

run()
  .catch(fail)
  .finally(() => port.unref());
