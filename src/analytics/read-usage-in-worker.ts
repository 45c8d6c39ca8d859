import { startWorker } from "./worker-thread.ts";
import { ApexError, isApexError } from "../protocol/errors.ts";
import { ErrorCode, type ErrorCodeName } from "../protocol/names.ts";
import type { FormatName, ReadItem, ReadOptions, UsageReader } from "./read-usage.ts";

// The usage reader in a worker thread: reading, inflating, parsing, mapping and validating an untrusted file all run
// off the caller's event loop. Items come back in batches on credit (at most CREDITS batches in flight), so memory
// stays bounded whatever the consumer's pace; aborting the signal, or closing the reader, terminates the thread.

/** What the thread is asked to read. */
export interface ReaderJob {
  path: string;
  options: ReadOptions;
  batchItems: number;
}

export type ToReader = { credits: number };

interface Failure {
  code: ErrorCodeName;
  message: string;
  details?: Record<string, unknown>;
}

export type FromReader =
  | { type: "open"; format: FormatName }
  | { type: "batch" | "end"; items: ReadItem[]; bytesRead: number }
  | { type: "failure"; error: Failure };

export interface WorkerReadOptions {
  /** Aborting it stops the reading at once: the thread is terminated and `items` throws the signal's reason. */
  signal?: AbortSignal;
}

const ENTRY = new URL("./read-usage-worker.ts", import.meta.url);
const BATCH_ITEMS = 1_000;
const CREDITS = 2;
/** The thread's heap; an entry is bounded (maxEntryChars), so this is room for one and the batches in flight. */
const HEAP_MB = 512;

/** The abort as an ApexError: the signal's reason when it is one (a deadline), else `cancelled`. */
function abortError(signal: AbortSignal): ApexError {
  if (isApexError(signal.reason)) return signal.reason;
  return new ApexError(ErrorCode.CANCELLED, "The ingest was cancelled before it ended; nothing more was read.", { cause: signal.reason });
}

/** Opens `path` in a fresh worker thread; resolves once the format is known (detection runs there too). */
export async function openUsageReaderInWorker(path: string, options: ReadOptions = {}, control: WorkerReadOptions = {}): Promise<UsageReader> {
  const { signal } = control;
  if (signal?.aborted === true) throw abortError(signal);
  const job: ReaderJob = { path, options, batchItems: BATCH_ITEMS };
  const worker = startWorker(ENTRY, job, HEAP_MB);
  const batches: ReadItem[][] = [];
  let bytesRead = 0;
  let ended = false;
  /** Set by the thread's own error: thrown once the batches before it are taken. */
  let failure: ApexError | undefined;
  /** Set by the abort: thrown at once. */
  let aborted: ApexError | undefined;
  let format: FormatName | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const stop = () => {
    signal?.removeEventListener("abort", onAbort);
    void worker.terminate();
  };
  const onAbort = () => {
    aborted ??= abortError(signal as AbortSignal);
    stop();
    notify();
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  worker.on("message", (message: FromReader) => {
    if (message.type === "open") format = message.format;
    else if (message.type === "failure") failure ??= new ApexError(message.error.code, message.error.message, { details: message.error.details });
    else {
      batches.push(message.items);
      bytesRead = message.bytesRead;
      ended = message.type === "end";
    }
    notify();
  });
  worker.on("error", (error) => {
    failure ??= new ApexError(ErrorCode.INTERNAL, `The usage reader stopped: ${error.message}`, { cause: error });
    notify();
  });
  worker.on("exit", () => {
    if (!ended) failure ??= new ApexError(ErrorCode.INTERNAL, "The usage reader stopped before the end of the file.");
    notify();
  });
  const changed = () => new Promise<void>((resolve) => (wake = resolve));

  worker.postMessage({ credits: CREDITS } satisfies ToReader);
  while (format === undefined) {
    if (aborted !== undefined) throw aborted;
    if (failure !== undefined) {
      stop();
      throw failure;
    }
    await changed();
  }

  async function* items(): AsyncGenerator<ReadItem> {
    try {
      for (;;) {
        if (aborted !== undefined) throw aborted;
        const batch = batches.shift();
        if (batch !== undefined) {
          if (!ended) worker.postMessage({ credits: 1 } satisfies ToReader);
          for (const item of batch) {
            if (aborted !== undefined) throw aborted;
            yield item;
          }
          continue;
        }
        if (ended) return;
        if (failure !== undefined) throw failure;
        await changed();
      }
    } finally {
      stop();
    }
  }

  return {
    format,
    items: items(),
    bytesRead: () => bytesRead,
    close: async () => {
      aborted ??= new ApexError(ErrorCode.CANCELLED, "The usage reader was closed before the end of the file.");
      stop();
      notify();
    },
  };
}
