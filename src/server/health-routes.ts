import type { FastifyInstance } from "fastify";
import type { UsageStore } from "../analytics/store.ts";
import type { Bus } from "../bus/bus.ts";
import { RoutePath } from "../protocol/names.ts";
import { databaseReady, type Database } from "../store/database.ts";

// Probes: /health says the process answers; /ready says every store this node uses answers (the app store, the usage
// store, the bus: Redis when configured), each within a short timeout, and 503 names the ones that do not.

export interface HealthRoutesOptions {
  database: Database;
  usage: Pick<UsageStore, "count">;
  bus: Pick<Bus, "ready">;
}

/** How long /ready waits for any one store: a probe must answer even when a store hangs instead of refusing. */
const PROBE_TIMEOUT_MS = 1_000;
/** An owner no account has: counting its records is a cheap query that proves the usage store answers. */
const PROBE_OWNER = "apex-ready-probe";

type Check = "database" | "usage_store" | "bus";

export async function healthRoutes(fastify: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  fastify.get(RoutePath.HEALTH, async () => ({ status: "ok" }));

  fastify.get(RoutePath.READY, async (_request, reply) => {
    const [database, usageStore, bus] = await Promise.all([
      within(databaseReady(options.database)),
      within(options.usage.count({ owner: PROBE_OWNER }).then(() => true)),
      options.bus.ready(PROBE_TIMEOUT_MS).catch(() => false),
    ]);
    const checks: Record<Check, boolean> = { database, usage_store: usageStore, bus };
    const down = (Object.keys(checks) as Check[]).filter((name) => !checks[name]);
    reply.code(down.length === 0 ? 200 : 503);
    return down.length === 0 ? { status: "ready", ...checks } : { status: "unavailable", ...checks, down };
  });
}

/** False when the check fails or takes longer than the probe waits. */
async function within(check: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS)));
  try {
    return await Promise.race([check.catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
