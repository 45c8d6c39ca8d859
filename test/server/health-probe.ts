import { monitorEventLoopDelay } from "node:perf_hooks";
import { RoutePath } from "../../src/protocol/names.ts";

// How responsive a server stays while one user runs something heavy: `/health` is asked again and again, one request
// always in flight, for as long as the work runs, and the event loop's own delay is sampled alongside. A request in
// flight while the loop is blocked comes back late by the whole block, so a block of any length shows in `p99_ms`.
// The bar is `/health` within 100 ms at p99 while a bomb runs.

export interface Responsiveness {
  /** Health requests answered while the work ran. */
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

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Runs `work` while probing `${url}/health`; never throws for the work's error (it is in `outcome`). */
export async function probeWhile<T>(url: string, work: () => Promise<T>): Promise<Probed<T>> {
  const latencies: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let running = true;
  const probing = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(url + RoutePath.HEALTH);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  let outcome: Probed<T>["outcome"];
  try {
    outcome = { ok: true, value: await work() };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    running = false;
  }
  await probing;
  loop.disable();
  const sorted = [...latencies].sort((a, b) => a - b);
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
