import { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { RoutePath } from "../protocol/names.ts";
import type { AuditEntry, AuditFilter, AuditPage } from "../protocol/rest.ts";
import { AuditLogRepository, AuditOutcome, withoutSecrets, type AuditEntry as AuditRow, type AuditQuery } from "../store/audit-log.ts";
import type { StoreDb } from "../store/database.ts";
import { UserRepository } from "../store/users.ts";
import type { SchemaProperties } from "./api-routes.ts";
import { AuditAction } from "./audit-actions.ts";
import { Authenticator } from "./auth.ts";
import type { AuditTrail } from "./audit-trail.ts";

// The audit log over HTTP, for admins (a refusal is 403 and audited as denied): `GET /api/admin/audit` pages through it
// newest first with filters; `GET /api/admin/audit/export` streams every matching entry oldest first as JSONL or CSV,
// page by page from the store, never whole in memory. Secrets never reach the log, and are stripped again on the way out.

export interface AuditRoutesOptions {
  auth: Authenticator;
  db: StoreDb;
  audit: AuditTrail;
}

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const EXPORT_PAGE = 1000;
const ExportFormat = { JSONL: "jsonl", CSV: "csv" } as const;
type ExportFormatName = (typeof ExportFormat)[keyof typeof ExportFormat];
const CONTENT_TYPE: Record<ExportFormatName, string> = { jsonl: "application/x-ndjson; charset=utf-8", csv: "text/csv; charset=utf-8" };
const CSV_COLUMNS = ["id", "at", "actor_id", "actor_email", "action", "target", "outcome", "params"] as const satisfies readonly (keyof AuditEntry)[];

const filterProperties = {
  actor: { type: "string", minLength: 1, maxLength: 320 },
  action: { type: "string", minLength: 1, maxLength: 100 },
  from: { type: "string", format: "date-time" },
  to: { type: "string", format: "date-time" },
} as const satisfies SchemaProperties<AuditFilter>;

/** An entry as the API shows it. */
const auditEntrySchema = {
  type: "object",
  required: [...CSV_COLUMNS],
  properties: {
    id: { type: "integer" },
    at: { type: "string", format: "date-time" },
    actor_id: { type: ["string", "null"] },
    actor_email: { type: "string" },
    action: { type: "string" },
    target: { type: ["string", "null"] },
    outcome: { type: "string", enum: Object.values(AuditOutcome) },
    params: { type: "object", additionalProperties: true },
  } satisfies SchemaProperties<AuditEntry>,
} as const;

function wire(entry: AuditRow): AuditEntry {
  return {
    id: entry.id,
    at: entry.at.toISOString(),
    actor_id: entry.actorId,
    actor_email: entry.actorEmail,
    action: entry.action,
    target: entry.target,
    outcome: entry.outcome,
    params: withoutSecrets(entry.params),
  };
}

/** One CSV cell: quoted when needed, and a leading = + - @ defused so a spreadsheet does not run it as a formula. */
function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export async function auditRoutes(fastify: FastifyInstance, options: AuditRoutesOptions): Promise<void> {
  const { auth, audit } = options;
  const log = new AuditLogRepository(options.db);
  const users = new UserRepository(options.db);

  const admin = async (request: FastifyRequest, action: typeof AuditAction.AUDIT_QUERY | typeof AuditAction.AUDIT_EXPORT, params: object) => {
    const caller = await auth.authenticate(Authenticator.bearer(request.headers.authorization));
    await audit.requireAdmin(caller, { action, params: { ...params } }, "read the audit log");
    return caller;
  };

  /** The store's filter; null when the actor named matches no account (so nothing can match). */
  const filterOf = async (query: AuditFilter): Promise<AuditQuery | null> => {
    const filter: AuditQuery = {};
    if (query.actor !== undefined) {
      const actor = await users.findByRef(query.actor);
      if (actor === null) return null;
      filter.actorId = actor.id;
    }
    if (query.action !== undefined) filter.action = query.action;
    if (query.from !== undefined) filter.from = new Date(query.from);
    if (query.to !== undefined) filter.to = new Date(query.to);
    return filter;
  };

  fastify.get<{ Querystring: AuditFilter & { limit: number; cursor?: number } }>(
    RoutePath.AUDIT,
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            ...filterProperties,
            limit: { type: "integer", minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE },
            cursor: { type: "integer", minimum: 0 },
          },
        },
        response: {
          200: {
            type: "object",
            required: ["entries", "next_cursor"],
            properties: { entries: { type: "array", items: auditEntrySchema }, next_cursor: { type: ["integer", "null"] } },
          },
        },
      },
    },
    async (request): Promise<AuditPage> => {
      await admin(request, AuditAction.AUDIT_QUERY, request.query);
      const filter = await filterOf(request.query);
      const { limit, cursor } = request.query;
      const entries = filter === null ? [] : await log.query({ ...filter, limit, ...(cursor === undefined ? {} : { after: cursor }) });
      return { entries: entries.map(wire), next_cursor: entries.length === limit ? (entries.at(-1)?.id ?? null) : null };
    },
  );

  fastify.get<{ Querystring: AuditFilter & { format: ExportFormatName } }>(
    RoutePath.AUDIT_EXPORT,
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { ...filterProperties, format: { type: "string", enum: Object.values(ExportFormat), default: ExportFormat.JSONL } },
        },
      },
    },
    async (request, reply) => {
      const caller = await admin(request, AuditAction.AUDIT_EXPORT, request.query);
      const filter = await filterOf(request.query);
      const { format } = request.query;
      await audit.record(caller, { action: AuditAction.AUDIT_EXPORT, params: { ...request.query } });
      async function* lines(): AsyncGenerator<string> {
        if (format === ExportFormat.CSV) yield `${CSV_COLUMNS.join(",")}\n`;
        if (filter === null) return;
        let after: number | undefined;
        for (;;) {
          const page = await log.query({ ...filter, oldestFirst: true, limit: EXPORT_PAGE, ...(after === undefined ? {} : { after }) });
          for (const entry of page) {
            const row = wire(entry);
            yield format === ExportFormat.CSV ? `${CSV_COLUMNS.map((column) => csvCell(row[column])).join(",")}\n` : `${JSON.stringify(row)}\n`;
          }
          if (page.length < EXPORT_PAGE) return;
          after = page.at(-1)?.id;
        }
      }
      const day = new Date().toISOString().slice(0, 10);
      return reply
        .header("content-type", CONTENT_TYPE[format])
        .header("content-disposition", `attachment; filename="apex-audit-${day}.${format}"`)
        .send(Readable.from(lines()));
    },
  );
}
