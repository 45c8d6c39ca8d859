import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { AccountChange, AdminUserView, ApiKeysReset, UserAdministration } from "../tools/user-administration.ts";
import { ApiKeyRepository, type IssuedApiKey } from "../store/api-keys.ts";
import type { StoreDb } from "../store/database.ts";
import { UserRepository, type AdminUserSummary, type User } from "../store/users.ts";
import { AuditAction, type AuditActionName } from "./audit-actions.ts";
import type { Actor, AuditedAction, AuditTrail } from "./audit-trail.ts";

// Account administration, one implementation for the admin REST routes and the admin tools in chat: the actor is
// re-read from the store and must be an admin (refusals audited as denied), every change is audited with the before and
// after, and the store's lock keeps at least one enabled admin. A disable or a role change is announced to every node
// (`accountChanged`), whose gateways close the account's sockets or refresh its role.

function view(user: AdminUserSummary): AdminUserView {
  return {
    id: user.id,
    email: user.email,
    role: user.role,
    tier: user.tier,
    disabled: user.disabledAt !== null,
    disabled_at: user.disabledAt?.toISOString() ?? null,
    created_at: user.createdAt.toISOString(),
    last_activity_at: user.lastActivityAt?.toISOString() ?? null,
  };
}

function actionOf(change: AccountChange): AuditActionName {
  if (change.role !== undefined || change.tier !== undefined || change.disabled === undefined) return AuditAction.USER_UPDATE;
  return change.disabled ? AuditAction.USER_DISABLE : AuditAction.USER_ENABLE;
}

export class AccountAdministration implements UserAdministration {
  readonly #users: UserRepository;
  readonly #keys: ApiKeyRepository;
  readonly #audit: AuditTrail;
  readonly #accountChanged: (userId: string) => Promise<void>;

  constructor(db: StoreDb, audit: AuditTrail, accountChanged: (userId: string) => Promise<void> = async () => undefined) {
    this.#users = new UserRepository(db);
    this.#keys = new ApiKeyRepository(db);
    this.#audit = audit;
    this.#accountChanged = accountChanged;
  }

  async listUsers(actorId: string): Promise<AdminUserView[]> {
    await this.#admin(actorId, { action: AuditAction.USER_LIST }, "list accounts");
    return (await this.#users.listWithActivity()).map((user) => view(user));
  }

  async updateUser(actorId: string, ref: string, change: AccountChange): Promise<AdminUserView> {
    const action = actionOf(change);
    const actor = await this.#admin(actorId, { action, target: ref, params: { ...change } }, "change accounts");
    const before = await this.#target(ref);
    const [after] = (await this.#users.update(before.id, change)) === null ? [] : await this.#users.listWithActivity(before.id);
    if (after === undefined) throw notFound(ref);
    if ((after.disabledAt !== null && before.disabledAt === null) || after.role !== before.role) await this.#accountChanged(after.id);
    await this.#audit.record(actor, {
      action,
      target: after.id,
      params: { email: after.email, change, before: { role: before.role, tier: before.tier, disabled: before.disabledAt !== null } },
    });
    return view(after);
  }

  resetApiKeys(actorId: string, ref: string): Promise<ApiKeysReset> {
    return this.resetApiKeysAndIssue(actorId, ref, undefined);
  }

  /** Revokes every active key of the account, then issues one named `newKeyName` when given (its secret shown once). */
  async resetApiKeysAndIssue(actorId: string, ref: string, newKeyName: string | undefined): Promise<ApiKeysReset> {
    const entry = { action: AuditAction.USER_API_KEYS_RESET, target: ref, params: { new_key_name: newKeyName ?? null } };
    const actor = await this.#admin(actorId, entry, "reset API keys");
    const user = await this.#target(ref);
    const revoked = await this.#keys.revokeAll(user.id);
    const issued: IssuedApiKey | undefined = newKeyName === undefined ? undefined : await this.#keys.create(user.id, newKeyName);
    await this.#audit.record(actor, {
      ...entry,
      target: user.id,
      params: { email: user.email, revoked, new_key_name: newKeyName ?? null, new_key_id: issued?.key.id ?? null },
    });
    const reset: ApiKeysReset = { user_id: user.id, revoked };
    if (issued !== undefined) {
      const { key, secret } = issued;
      reset.api_key = { id: key.id, name: key.name, prefix: key.prefix, created_at: key.createdAt.toISOString(), secret };
    }
    return reset;
  }

  /** The actor, read again from the store (a role changed since the token was issued counts); denied unless admin. */
  async #admin(actorId: string, entry: AuditedAction, doing: string): Promise<Actor> {
    const found = await this.#users.findById(actorId);
    if (found === null || found.disabledAt !== null) {
      throw new ApexError(ErrorCode.UNAUTHORIZED, "Your account no longer exists or is disabled; sign in again.");
    }
    const actor = { id: found.id, email: found.email, role: found.role };
    await this.#audit.requireAdmin(actor, entry, doing);
    return actor;
  }

  async #target(ref: string): Promise<User> {
    const user = await this.#users.findByRef(ref);
    if (user === null) throw notFound(ref);
    return user;
  }
}

function notFound(ref: string): ApexError {
  return new ApexError(ErrorCode.NOT_FOUND, `There is no account ${ref}; list the accounts to find its id or email.`);
}
