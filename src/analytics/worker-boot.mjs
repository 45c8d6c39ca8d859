// Boots a worker thread that runs TypeScript: registers tsx's loader in this thread, then imports the entry module
// named in workerData (works under tsx, node --import tsx and vitest alike).
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
