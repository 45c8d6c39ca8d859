import { Worker } from "node:worker_threads";

// The one way analytics starts a thread that runs TypeScript: the boot script registers tsx's loader in the new
// thread, then imports `entry` (works under tsx, node --import tsx and vitest alike). `data` reaches the entry as
// workerData; the heap is bounded so one job cannot take the process's memory.

const BOOT = new URL("./worker-boot.mjs", import.meta.url);

export function startWorker(entry: URL, data: object, heapMb: number): Worker {
  return new Worker(BOOT, { workerData: { entry: entry.href, ...data }, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
}
