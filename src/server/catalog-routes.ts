import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { CatalogEditSchema, CatalogPinSchema, CatalogRollbackSchema, CatalogScope, type CatalogLookup } from "../protocol/catalog.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, EventType, RoutePath } from "../protocol/names.ts";
import type { CatalogTarget, EffectiveCatalog } from "../protocol/rest.ts";
import type { StoreDb } from "../store/database.ts";
import type { EventLog } from "../store/event-log.ts";
import { RunRepository } from "../store/runs.ts";
import { lookupModel } from "../tools/catalog-tools.ts";
import { AuditAction } from "./audit-actions.ts";
import { Authenticator, type AuthUser } from "./auth.ts";
import type { RunLauncher } from "./run-launcher.ts";
import type { SchemaProperties } from "./api-routes.ts";
import type { SupplyCatalog } from "./supply-catalog.ts";

// The supply catalog over HTTP. Reads: everyone, for the global catalog and their own tenant's (admins: any tenant's).
// Changes and rollbacks: admins only, with a reason, audited; a refused attempt answers 403 and is audited as denied.
// A run can be reproduced with the catalog versions its report recorded (or others), so an old report stays reproducible.

export interface CatalogRoutesOptions {
  auth: Authenticator;
  catalog: SupplyCatalog;
  db: StoreDb;
  log: EventLog;
  launcher: Pick<RunLauncher, "launch">;
}

/** A zod schema as the route's JSON schema (what fastify validates and documents); zod parses again for refinements. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const json: Record<string, unknown> = z.toJSONSchema(schema, { target: "draft-7", io: "input" });
  delete json.$schema; // fastify's validator knows its draft; the URI would only be looked up
  return json;
}

function parsed<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
  throw new ApexError(ErrorCode.INVALID_REQUEST, `The request is not valid (${problems}); fix it and send it again.`);
}

const VERSION = { type: "integer", minimum: 0 } as const;
const TARGET_PROPERTIES = {
  scope: { type: "string", enum: Object.values(CatalogScope), default: CatalogScope.GLOBAL },
  user_id: { type: "string", minLength: 1, maxLength: 128 },
} as const satisfies SchemaProperties<CatalogTarget>;
const TARGET_QUERY = { type: "object", additionalProperties: false, properties: TARGET_PROPERTIES } as const;
const DIFF_QUERY = { type: "object", additionalProperties: false, required: ["from", "to"], properties: { ...TARGET_PROPERTIES, from: VERSION, to: VERSION } } as const;
const MODEL_PARAMS = { type: "object", required: ["model"], properties: { model: { type: "string", minLength: 1, maxLength: 200, pattern: "\\S" } } } as const;
const VERSION_PARAMS = { type: "object", required: ["version"], properties: { version: VERSION } } as const;
const RUN_PARAMS = { type: "object", required: ["run_id"], properties: { run_id: { type: "string", minLength: 1, maxLength: 128 } } } as const;
const ReproduceSchema = CatalogPinSchema.partial().strict();

export async function catalogRoutes(fastify: FastifyInstance, options: CatalogRoutesOptions): Promise<void> {
  const { auth, catalog, log, launcher } = options;
  const runs = new RunRepository(options.db);
  const caller = (request: FastifyRequest): Promise<AuthUser> => auth.authenticate(Authenticator.bearer(request.headers.authorization));

  /**
   * The catalog a read names (`scope` is global unless asked, the schema's default): a tenant defaults to the caller's
   * own; another tenant's needs the admin role.
   */
  const readable = async (user: AuthUser, query: CatalogTarget): Promise<CatalogTarget> => {
    const { scope } = query;
    if (scope === CatalogScope.GLOBAL) return { scope };
    const userId = query.user_id ?? user.id;
    if (userId !== user.id) await catalog.requireAdmin(user, AuditAction.CATALOG_READ, { scope, user_id: userId });
    return { scope, user_id: userId };
  };

  fastify.get(RoutePath.CATALOG, async (request): Promise<EffectiveCatalog> => catalog.effective((await caller(request)).id));

  // One model as a run of this caller would price it now: tenant entry, global entry, else the bundled prices.
  fastify.get<{ Params: { model: string } }>(RoutePath.CATALOG_MODEL, { schema: { params: MODEL_PARAMS } }, async (request): Promise<CatalogLookup> => {
    const user = await caller(request);
    return lookupModel(await catalog.pinnedServices(user.id), user.id, request.params.model.trim());
  });

  fastify.get<{ Querystring: CatalogTarget }>(RoutePath.CATALOG_VERSIONS, { schema: { querystring: TARGET_QUERY } }, async (request) => {
    const user = await caller(request);
    return { versions: await catalog.history(await readable(user, request.query)) };
  });

  fastify.get<{ Params: { version: number }; Querystring: CatalogTarget }>(
    RoutePath.CATALOG_VERSION,
    { schema: { params: VERSION_PARAMS, querystring: TARGET_QUERY } },
    async (request) => {
      const user = await caller(request);
      return { version: await catalog.version(await readable(user, request.query), request.params.version) };
    },
  );

  fastify.get<{ Querystring: CatalogTarget & { from: number; to: number } }>(RoutePath.CATALOG_DIFF, { schema: { querystring: DIFF_QUERY } }, async (request) => {
    const user = await caller(request);
    const { from, to } = request.query;
    return { from, to, diff: await catalog.diff(await readable(user, request.query), from, to) };
  });

  fastify.post(RoutePath.CATALOG_VERSIONS, { schema: { body: jsonSchema(CatalogEditSchema) } }, async (request, reply) => {
    const user = await caller(request);
    const version = await catalog.change(user, parsed(CatalogEditSchema, request.body));
    reply.code(201);
    return { version };
  });

  fastify.post(RoutePath.CATALOG_ROLLBACK, { schema: { body: jsonSchema(CatalogRollbackSchema) } }, async (request, reply) => {
    const user = await caller(request);
    const version = await catalog.rollback(user, parsed(CatalogRollbackSchema, request.body));
    reply.code(201);
    return { version };
  });

  fastify.post<{ Params: { run_id: string } }>(
    RoutePath.RUN_REPRODUCE,
    { schema: { params: RUN_PARAMS, body: jsonSchema(ReproduceSchema) } },
    async (request, reply) => {
      const user = await caller(request);
      const asked = parsed(ReproduceSchema, request.body ?? {});
      const run = await runs.get(user.id, request.params.run_id);
      if (run === null) throw new ApexError(ErrorCode.NOT_FOUND, `Run ${request.params.run_id} was not found.`);
      const final = (await log.read(run.id, user.id)).find((event) => event.type === EventType.FINAL_REPORT);
      // A report written before catalogs existed was priced with the bundled data alone: versions 0.
      const recorded = final?.type === EventType.FINAL_REPORT ? final.data.report.catalog : undefined;
      const pin = { global_version: 0, tenant_version: 0, ...recorded, ...asked };
      const resolved = await catalog.resolve(user.id, pin);
      const launched = await launcher.launch(user, run.request, run.threadId, async () => undefined, resolved.pin);
      reply.code(202);
      return { run_id: launched.runId, thread_id: launched.threadId, catalog: resolved.pin };
    },
  );
}
