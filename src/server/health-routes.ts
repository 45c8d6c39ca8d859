import type { FastifyInstance } from "fastify";
import { RoutePath } from "../protocol/names.ts";
import { databaseReady, type Database } from "../store/database.ts";

// Probes: /health says the process answers; /ready says the app store answers a query (503 otherwise).

export async function healthRoutes(fastify: FastifyInstance, options: { database: Database }): Promise<void> {
  fastify.get(RoutePath.HEALTH, async () => ({ status: "ok" }));

  fastify.get(RoutePath.READY, async (_request, reply) => {
    const database = await databaseReady(options.database);
    reply.code(database ? 200 : 503);
    return { status: database ? "ready" : "unavailable", database };
  });
}
