import { monitorEventLoopDelay } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { RoutePath } from "../../src/protocol/names.ts";

// How responsive a server stays while one user runs something heavy. The tests' server runs in this process, so the
// prober runs in a worker thread: it asks `/health` every PERIOD_MS whatever the server's loop is doing (open loop, as
// other users' requests arrive), so a block of the loop delays every request that arrives during it, and p99 is the
// latency a request arriving at a random moment sees. While IN_FLIGHT_CAP requests wait unanswered, a tick sends
// nothing and counts a sample as old as the oldest waiting request (what a new one would see at least).
// The bar is `/health` within 100 ms at p99 while a bomb runs.

/** The bar: `/health` within 100 ms at p99 while one user runs a bomb. */
export const HEALTH_P99_BAR_MS = 100;
/**
 * Where the bar is not met yet (issue 13 stays open for it), the bound these tests hold instead, so they still catch a
 * regression: a burst of 400 new connections at once (~80-100 ms of the loop's own work on PGlite) and an ingest of
 * tens of thousands of records (GC pauses and per-record pricing on the loop) measured 102-140 ms on a quiet machine.
 */
export const KNOWN_SHORTFALL_P99_MS = 300;

const PERIOD_MS = 2;
const IN_FLIGHT_CAP = 64;

export interface Responsiveness {
  /** Health requests (and capped ticks) while the work ran. */
  samples: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** The event loop's own worst delay over the same time (the server runs in this process in the tests). */
  loop_max_ms: number;
}

export interface Probed<T> {
  /** What the work returned, or what it threw. */
  outcome: { ok: true; value: T } | { ok: false; error: unknown };
  health: Responsiveness;
}

const PROBER = `
  const { parentPort, workerData } = require("node:worker_threads");
  const { url, period, cap } = workerData;
  const latencies = [];
  const waiting = new Set();
  let stopping = false;
  const tick = setInterval(() => {
    const now = performance.now();
    if (waiting.size >= cap) {
      latencies.push(now - Math.min(...waiting));
      return;
    }
    waiting.add(now);
    fetch(url)
      .then((response) => response.arrayBuffer())
      .then(() => latencies.push(performance.now() - now), () => latencies.push(performance.now() - now))
      .finally(() => {
        waiting.delete(now);
        if (stopping && waiting.size === 0) parentPort.postMessage(latencies);
      });
  }, period);
  parentPort.once("message", () => {
    clearInterval(tick);
    stopping = true;
    if (waiting.size === 0) parentPort.postMessage(latencies);
  });
`;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Runs `work` while probing `${url}/health`; never throws for the work's error (it is in `outcome`). */
export async function probeWhile<T>(url: string, work: () => Promise<T>): Promise<Probed<T>> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const prober = new Worker(PROBER, { eval: true, workerData: { url: url + RoutePath.HEALTH, period: PERIOD_MS, cap: IN_FLIGHT_CAP } });
  const latencies = new Promise<number[]>((resolve, reject) => {
    prober.once("message", resolve);
    prober.once("error", reject);
  });
  await new Promise((resolve) => prober.once("online", resolve));
  loop.enable();
  let outcome: Probed<T>["outcome"];
  try {
    outcome = { ok: true, value: await work() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  prober.postMessage("stop");
  const sorted = [...(await latencies)].sort((a, b) => a - b);
  await prober.terminate();
  loop.disable();
  return {
    outcome,
    health: {
      samples: sorted.length,
      p50_ms: percentile(sorted, 50),
      p99_ms: percentile(sorted, 99),
      max_ms: sorted.at(-1) ?? 0,
      loop_max_ms: loop.max / 1e6,
    },
  };
}

/**
 * CPU this process (every thread of it: the server's workers too) spends over `ms` of wall time, as a share of one
 * core: work that should have stopped shows as a share near 1 where stopped work shows near 0.
 */
export async function cpuShare(ms: number): Promise<number> {
  const before = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / ms;
}
