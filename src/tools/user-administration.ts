import type { AccountChange, AdminUser as AdminUserView, ApiKeysReset } from "../protocol/rest.ts";
// Account administration as tools see it: the server implements it over the store (and audits every action); tools
// reach it through ApexServices, never the store itself. The actor is always the calling user's id from the context.

/** An account as admins see it, what an admin may change on one, and a key reset: one definition, in the protocol. */
export type { AccountChange, AdminUserView, ApiKeysReset };

export interface UserAdministration {
  /** `forbidden` (and audited) unless the actor is an admin. */
  listUsers(actorId: string): Promise<AdminUserView[]>;
  /** `user` is an id or an email; `not_found`, `forbidden`, or `last_admin` when no enabled admin would be left. */
  updateUser(actorId: string, user: string, change: AccountChange): Promise<AdminUserView>;
  /** Revokes every active API key of `user` (an id or an email). */
  resetApiKeys(actorId: string, user: string): Promise<ApiKeysReset>;
}
