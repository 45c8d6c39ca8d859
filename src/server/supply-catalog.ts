import { PriceBook } from "../pricing/price-book.ts";
import {
  applyCatalogChanges,
  type CatalogDiff,
  type CatalogEdit,
  type CatalogEntry,
  type CatalogPin,
  type CatalogRollback,
  CatalogScope,
  type CatalogVersion,
  type CatalogVersionSummary,
  diffCatalogs,
  layerCatalogs,
} from "../protocol/catalog.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { CatalogTarget, EffectiveCatalog } from "../protocol/rest.ts";
import { AuditLogRepository, AuditOutcome } from "../store/audit-log.ts";
import { CatalogRepository, GLOBAL_CATALOG_SCOPE, type StoredCatalogVersion } from "../store/catalog.ts";
import type { StoreDb } from "../store/database.ts";
import { UserRepository } from "../store/users.ts";
import type { CatalogAccess, CatalogMatch } from "../tools/catalog-access.ts";
import type { ApexServices } from "../tools/services.ts";
import type { AuthUser } from "./auth.ts";
import { AuditAction, type AuditActionName } from "./audit-actions.ts";
import { AuditTrail } from "./audit-trail.ts";

// The supply catalog's rules over its store: the effective catalog of an account (bundled prices, the global version,
// the tenant's on top), the versions a run is pinned to, and the admin-only changes, each audited (refusals too).

export type Actor = Pick<AuthUser, "id" | "email" | "role">;

interface Resolved {
  pin: CatalogPin;
  global: CatalogEntry[];
  tenant: CatalogEntry[];
}

export class SupplyCatalog implements CatalogAccess {
  readonly #versions: CatalogRepository;
  readonly #audit: AuditLogRepository;
  readonly #users: UserRepository;
  /** Refusals go through the node's one trail, which clips and caps them. */
  readonly #trail: AuditTrail;

  constructor(db: StoreDb, trail: AuditTrail = new AuditTrail(db)) {
    this.#versions = new CatalogRepository(db);
    this.#audit = new AuditLogRepository(db);
    this.#users = new UserRepository(db);
    this.#trail = trail;
  }

  /** The global and `userId`'s tenant versions `pin` names (each the latest when not given). */
  async resolve(userId: string, pin: Partial<CatalogPin> = {}): Promise<Resolved> {
    const global = await this.#version(GLOBAL_CATALOG_SCOPE, pin.global_version);
    const tenant = await this.#version(userId, pin.tenant_version);
    return { pin: { global_version: global.version, tenant_version: tenant.version }, global: global.entries, tenant: tenant.entries };
  }

  /** A run's services priced with the catalog in force now (or the versions of `pin`): what pins a run. */
  async pinnedServices(userId: string, pin?: Partial<CatalogPin>): Promise<Required<Pick<ApexServices, "prices" | "catalogPin" | "catalog">>> {
    const resolved = await this.resolve(userId, pin);
    return { prices: new PriceBook({ catalog: layerCatalogs(resolved.global, resolved.tenant) }), catalogPin: resolved.pin, catalog: this };
  }

  /** `userId`'s effective catalog entries (over the bundled prices) and the versions they come from. */
  async effective(userId: string): Promise<EffectiveCatalog> {
    const resolved = await this.resolve(userId);
    const tenant = new Set(resolved.tenant.map((e) => e.model.toLowerCase()));
    const entries = layerCatalogs(resolved.global, resolved.tenant).map((entry) => ({
      ...entry,
      source: tenant.has(entry.model.toLowerCase()) ? CatalogScope.TENANT : CatalogScope.GLOBAL,
    }));
    return { catalog: resolved.pin, entries };
  }

  async lookup(userId: string, model: string, pin: CatalogPin | undefined): Promise<CatalogMatch | null> {
    const resolved = await this.resolve(userId, pin);
    const name = model.trim().toLowerCase();
    const tenant = resolved.tenant.find((e) => e.model.toLowerCase() === name);
    if (tenant !== undefined) return { source: CatalogScope.TENANT, entry: tenant };
    const global = resolved.global.find((e) => e.model.toLowerCase() === name);
    return global === undefined ? null : { source: CatalogScope.GLOBAL, entry: global };
  }

  /** Every version of the target's scope, newest first, down to version 0 (the bundled data alone). */
  async history(target: CatalogTarget): Promise<CatalogVersionSummary[]> {
    return (await this.#versions.history(await this.#scopeKey(target))).map((v) => summaryOf(target, v));
  }

  async version(target: CatalogTarget, version: number): Promise<CatalogVersion> {
    const found = await this.#version(await this.#scopeKey(target), version);
    return { ...summaryOf(target, found), entries: found.entries };
  }

  async diff(target: CatalogTarget, from: number, to: number): Promise<CatalogDiff> {
    const key = await this.#scopeKey(target);
    return diffCatalogs((await this.#version(key, from)).entries, (await this.#version(key, to)).entries);
  }

  /** The chat tool's path: the actor is looked up, then treated as over REST. */
  async update(actorId: string, edit: CatalogEdit): Promise<CatalogVersionSummary> {
    const user = await this.#users.findById(actorId);
    if (user === null) throw new ApexError(ErrorCode.UNAUTHORIZED, "Your account no longer exists; sign in again.");
    return this.change({ id: user.id, email: user.email, role: user.role }, edit);
  }

  /** A new version from the whole list or from changes to the latest (admin only; audited either way). */
  async change(actor: Actor, edit: CatalogEdit): Promise<CatalogVersionSummary> {
    const target = { scope: edit.scope, user_id: edit.user_id };
    const params = { scope: edit.scope, user_id: edit.user_id, reason: edit.reason, ...(edit.entries === undefined ? { changes: edit.changes } : { entries: edit.entries.length }) };
    await this.requireAdmin(actor, AuditAction.CATALOG_UPDATE, params);
    const key = await this.#scopeKey(target);
    const entries = edit.entries ?? applyCatalogChanges((await this.#versions.latest(key)).entries, edit.changes ?? { set: [], remove: [] });
    const created = await this.#versions.append({ scope: key, authorId: actor.id, authorEmail: actor.email, reason: edit.reason, entries });
    await this.#record(actor, AuditAction.CATALOG_UPDATE, key, { ...params, version: created.version });
    return summaryOf(target, created);
  }

  /** A new version copying an old one's entries, with the reason "rollback to vN: …" (admin only; audited). */
  async rollback(actor: Actor, request: CatalogRollback): Promise<CatalogVersionSummary> {
    const target = { scope: request.scope, user_id: request.user_id };
    const params = { scope: request.scope, user_id: request.user_id, version: request.version, reason: request.reason };
    await this.requireAdmin(actor, AuditAction.CATALOG_ROLLBACK, params);
    const key = await this.#scopeKey(target);
    const old = await this.#version(key, request.version);
    const created = await this.#versions.append({ scope: key, authorId: actor.id, authorEmail: actor.email, reason: `rollback to v${old.version}: ${request.reason}`, entries: old.entries });
    await this.#record(actor, AuditAction.CATALOG_ROLLBACK, key, { ...params, new_version: created.version });
    return summaryOf(target, created);
  }

  /** Refuses (`forbidden`) anyone but an admin, recording the refused attempt in the audit log. */
  async requireAdmin(actor: Actor, action: AuditActionName, params: Record<string, unknown>): Promise<void> {
    await this.#trail.requireAdmin(actor, { action, params }, "change the supply catalog");
  }

  async #record(actor: Actor, action: AuditActionName, target: string, params: Record<string, unknown>): Promise<void> {
    await this.#audit.record({ actorId: actor.id, actorEmail: actor.email, action, target: `catalog:${target}`, params, outcome: AuditOutcome.OK });
  }

  async #version(scope: string, version: number | undefined): Promise<StoredCatalogVersion> {
    if (version === undefined) return this.#versions.latest(scope);
    const found = await this.#versions.get(scope, version);
    if (found === null) {
      const where = scope === GLOBAL_CATALOG_SCOPE ? "the global catalog" : "this tenant's catalog";
      throw new ApexError(ErrorCode.NOT_FOUND, `Version ${version} of ${where} does not exist; list the versions to pick one.`);
    }
    return found;
  }

  /** The stored scope: `global`, or the tenant's user id (which must name an account). */
  async #scopeKey(target: CatalogTarget): Promise<string> {
    if (target.scope === CatalogScope.GLOBAL) return GLOBAL_CATALOG_SCOPE;
    if (target.user_id === undefined) throw new ApexError(ErrorCode.INVALID_REQUEST, "A tenant catalog needs the tenant's user_id.");
    if ((await this.#users.findById(target.user_id)) === null) throw new ApexError(ErrorCode.NOT_FOUND, `No account has the id ${target.user_id}; check the user id.`);
    return target.user_id;
  }
}

function summaryOf(target: CatalogTarget, version: StoredCatalogVersion): CatalogVersionSummary {
  return {
    scope: target.scope,
    ...(target.scope === CatalogScope.TENANT && target.user_id !== undefined ? { user_id: target.user_id } : {}),
    version: version.version,
    author_email: version.authorEmail,
    reason: version.reason,
    created_at: version.createdAt.toISOString(),
    models: version.entries.length,
  };
}
