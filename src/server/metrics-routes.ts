import type { FastifyInstance } from "fastify";
import { RoutePath } from "../protocol/names.ts";
import type { ApexMetrics } from "../telemetry/metrics.ts";

// GET /metrics: the Prometheus text exposition of this node. Like /health it needs no account: it carries counts and
// durations, never a user's data, and scrapers do not sign in; keep the port off the public internet or filter it.

export async function metricsRoutes(fastify: FastifyInstance, options: { metrics: ApexMetrics }): Promise<void> {
  fastify.get(RoutePath.METRICS, async (_request, reply) => {
    const body = await options.metrics.render();
    return reply.type(options.metrics.contentType).send(body);
  });
}
