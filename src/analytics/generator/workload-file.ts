import { startWorker } from "../worker-thread.ts";
import { ApexError, isApexError } from "../../protocol/errors.ts";
import { ErrorCode, type ErrorCodeName } from "../../protocol/names.ts";
import type { GenerateOptions } from "./workload.ts";

// A generated workload written to a JSON Lines file by a worker thread: generating hundreds of thousands of records
// takes seconds of CPU, which must not run on the server's event loop. The file is then read like any upload, through
// the reader's own thread. The thread pauses at each progress step until the caller has taken it (its checks may stop
// the job), and aborting the signal terminates it at once.

/** The workload to write: the generator's options, without the price function (records do not depend on prices). */
export type WorkloadSpec = Omit<GenerateOptions, "price" | "priceSource">;

export interface WorkloadFileJob {
  path: string;
  spec: WorkloadSpec;
  progressEvery: number;
}

export type FromWorkloadWriter =
  | { type: "progress"; written: number }
  | { type: "done"; written: number }
  | { type: "failed"; error: { code: ErrorCodeName; message: string } };

export interface WorkloadFileControl {
  signal?: AbortSignal;
  /** Records written between two calls of `onProgress` (default 10,000). */
  progressEvery?: number;
  /** Called at each step with the records written so far; the writing waits for it, and stops if it throws. */
  onProgress?: (written: number) => Promise<void> | void;
}

const ENTRY = new URL("./workload-file-worker.ts", import.meta.url);
const DEFAULT_PROGRESS_EVERY = 10_000;
const HEAP_MB = 256;

function abortError(signal: AbortSignal): ApexError {
  if (isApexError(signal.reason)) return signal.reason;
  return new ApexError(ErrorCode.CANCELLED, "The data generation was cancelled before it ended.", { cause: signal.reason });
}

/** Writes the workload's records to `path` (which must not exist) as canonical JSON Lines; resolves with their number. */
export function writeWorkloadFile(path: string, spec: WorkloadSpec, control: WorkloadFileControl = {}): Promise<number> {
  const { signal, onProgress } = control;
  if (signal?.aborted === true) return Promise.reject(abortError(signal));
  const job: WorkloadFileJob = { path, spec, progressEvery: control.progressEvery ?? DEFAULT_PROGRESS_EVERY };
  const worker = startWorker(ENTRY, job, HEAP_MB);
  return new Promise<number>((resolve, reject) => {
    let settled = false;
    const settle = (error: unknown, written?: number) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      // Settled once the thread is gone: the caller may then remove the file without the thread writing it anew.
      const end = () => (error === undefined ? resolve(written ?? 0) : reject(error));
      worker.terminate().then(end, end);
    };
    const onAbort = () => settle(abortError(signal as AbortSignal));
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: FromWorkloadWriter) => {
      if (message.type === "done") settle(undefined, message.written);
      else if (message.type === "failed") settle(new ApexError(message.error.code, message.error.message));
      else {
        Promise.resolve(onProgress?.(message.written)).then(
          () => (settled ? undefined : worker.postMessage("go")),
          (error: unknown) => settle(error),
        );
      }
    });
    worker.on("error", (error) => settle(new ApexError(ErrorCode.INTERNAL, `The data generator stopped: ${error.message}`, { cause: error })));
    worker.on("exit", () => settle(new ApexError(ErrorCode.INTERNAL, "The data generator stopped before it finished.")));
  });
}
