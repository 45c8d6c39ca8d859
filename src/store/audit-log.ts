import { and, asc, desc, eq, gt, gte, lt, type SQL } from "drizzle-orm";
import type { StoreDb } from "./database.ts";
import { auditLog } from "./schema.ts";

// The audit log: append-only. Admin actions, catalog changes and refused attempts are recorded here with who did them,
// on what, and with which parameters (the caller removes secrets first; `withoutSecrets` helps).

export type AuditEntry = typeof auditLog.$inferSelect;

export const AuditOutcome = { OK: "ok", DENIED: "denied" } as const;
export type AuditOutcomeName = (typeof AuditOutcome)[keyof typeof AuditOutcome];

export interface NewAuditEntry {
  actorId: string | null;
  actorEmail: string;
  action: string;
  target?: string | null;
  params?: Record<string, unknown>;
  outcome: AuditOutcomeName;
}

export interface AuditQuery {
  actorId?: string;
  action?: string;
  /** Entries at or after this time. */
  from?: Date;
  /** Entries before this time. */
  to?: Date;
  limit?: number;
  /** Oldest first (an export) instead of newest first (a listing). */
  oldestFirst?: boolean;
  /** A page cursor: only entries past this id in the chosen order (the last id of the previous page). */
  after?: number;
}

const SECRET_KEY = /pass(word)?|secret|token|api[_-]?key|authorization/i;
const REDACTED = "[redacted]";
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

/** A copy of `params` with the values of secret-looking keys replaced, at any depth. */
export function withoutSecrets(params: Record<string, unknown>): Record<string, unknown> {
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(clean);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? REDACTED : clean(v)]));
  };
  return clean(params) as Record<string, unknown>;
}

export class AuditLogRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  async record(entry: NewAuditEntry): Promise<AuditEntry> {
    const [row] = await this.#db
      .insert(auditLog)
      .values({ ...entry, target: entry.target ?? null, params: withoutSecrets(entry.params ?? {}) })
      .returning();
    return row!;
  }

  async query(filter: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: SQL[] = [];
    if (filter.actorId !== undefined) where.push(eq(auditLog.actorId, filter.actorId));
    if (filter.action !== undefined) where.push(eq(auditLog.action, filter.action));
    if (filter.from !== undefined) where.push(gte(auditLog.at, filter.from));
    if (filter.to !== undefined) where.push(lt(auditLog.at, filter.to));
    if (filter.after !== undefined) where.push(filter.oldestFirst === true ? gt(auditLog.id, filter.after) : lt(auditLog.id, filter.after));
    const limit = Math.min(Math.max(1, filter.limit ?? DEFAULT_LIMIT), MAX_LIMIT);
    const order = filter.oldestFirst === true ? [asc(auditLog.at), asc(auditLog.id)] : [desc(auditLog.at), desc(auditLog.id)];
    return this.#db.select().from(auditLog).where(and(...where)).orderBy(...order).limit(limit);
  }
}
