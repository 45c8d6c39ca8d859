import type { FastifyInstance } from "fastify";
import { RoutePath, Tier } from "../protocol/names.ts";
import type { QuotaReport, QuotaStatus } from "../protocol/rest.ts";
import type { SchemaProperties } from "./api-routes.ts";
import { Authenticator } from "./auth.ts";
import type { Quotas } from "./quotas.ts";

// `GET /api/quotas`: the caller's tier, its limits and what is used of them now (the UI shows it next to uploads and
// before a refusal happens).

export interface QuotaRoutesOptions {
  auth: Authenticator;
  quotas: Quotas;
}

const quotaStatusSchema = {
  type: "object",
  required: ["limit", "used", "remaining", "window_seconds", "resets_at"],
  properties: {
    limit: { type: ["integer", "null"] },
    used: { type: "integer" },
    remaining: { type: ["integer", "null"] },
    window_seconds: { type: "integer" },
    resets_at: { type: ["string", "null"], format: "date-time" },
  } satisfies SchemaProperties<QuotaStatus>,
} as const;

export async function quotaRoutes(fastify: FastifyInstance, options: QuotaRoutesOptions): Promise<void> {
  fastify.get(
    RoutePath.QUOTAS,
    {
      schema: {
        response: {
          200: {
            type: "object",
            required: ["tier", "runs_per_hour", "records_per_day"],
            properties: {
              tier: { type: "string", enum: Object.values(Tier) },
              runs_per_hour: quotaStatusSchema,
              records_per_day: quotaStatusSchema,
            } satisfies SchemaProperties<QuotaReport>,
          },
        },
      },
    },
    async (request): Promise<QuotaReport> => options.quotas.report(await options.auth.authenticate(Authenticator.bearer(request.headers.authorization))),
  );
}
