import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { parentPort, workerData } from "node:worker_threads";
import { isApexError } from "../../protocol/errors.ts";
import { ErrorCode } from "../../protocol/names.ts";
import type { FromWorkloadWriter, WorkloadFileJob } from "./workload-file.ts";
import { generateWorkload } from "./workload.ts";

// The body of a workload-writer thread: generates the records, writes them as JSON Lines with the file's backpressure,
// and at each progress step waits for the main thread's "go".

const port = parentPort;
if (port === null) throw new Error("workload-file-worker.ts runs in a worker thread");
const job = workerData as WorkloadFileJob;
const post = (message: FromWorkloadWriter) => port.postMessage(message);
const LINES_PER_WRITE = 500;

let go: (() => void) | undefined;
port.on("message", () => go?.());
const granted = () => new Promise<void>((resolve) => (go = resolve));

async function run(): Promise<number> {
  const workload = generateWorkload({ ...job.spec, price: () => null });
  const file = createWriteStream(job.path, { flags: "wx", mode: 0o600 });
  try {
    let written = 0;
    let lines: string[] = [];
    for (const record of workload.records()) {
      lines.push(JSON.stringify(record));
      written += 1;
      if (lines.length >= LINES_PER_WRITE) {
        if (!file.write(`${lines.join("\n")}\n`)) await once(file, "drain");
        lines = [];
      }
      if (written % job.progressEvery === 0) {
        post({ type: "progress", written });
        await granted();
      }
    }
    if (lines.length > 0) file.write(`${lines.join("\n")}\n`);
    file.end();
    await once(file, "finish");
    return written;
  } catch (error) {
    file.destroy();
    throw error;
  }
}

run()
  .then((written) => post({ type: "done", written }))
  .catch((error: unknown) => {
    const failure = isApexError(error)
      ? { code: error.code, message: error.message }
      : { code: ErrorCode.INTERNAL, message: `The data generator failed: ${(error as Error).message}` };
    post({ type: "failed", error: failure });
  })
  .finally(() => port.unref());
