import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Role, type RoleName } from "../protocol/names.ts";
import type { ToolDenial } from "../runtime/tool-dispatcher.ts";
import { AuditLogRepository, AuditOutcome, type AuditOutcomeName } from "../store/audit-log.ts";
import type { StoreDb } from "../store/database.ts";
import { UserRepository } from "../store/users.ts";
import { AuditAction, type AuditActionName } from "./audit-actions.ts";

// Who did what, written down: admin actions as they succeed, and every refused attempt (a REST call or a tool call by a
// non-admin) before `forbidden` is answered. Parameters go through `withoutSecrets` in the repository.

export interface Actor {
  id: string;
  email: string;
  role: RoleName;
}

export interface AuditedAction {
  action: AuditActionName;
  target?: string | null;
  params?: Record<string, unknown>;
}

export class AuditTrail {
  readonly #log: AuditLogRepository;
  readonly #users: UserRepository;
  readonly #onError: (error: unknown) => void;

  constructor(db: StoreDb, onError: (error: unknown) => void = () => undefined) {
    this.#log = new AuditLogRepository(db);
    this.#users = new UserRepository(db);
    this.#onError = onError;
  }

  /** Records one entry; the actor's id is null for an account that no longer exists. */
  async record(actor: { id: string | null; email: string }, entry: AuditedAction, outcome: AuditOutcomeName = AuditOutcome.OK): Promise<void> {
    await this.#log.record({ actorId: actor.id, actorEmail: actor.email, action: entry.action, target: entry.target ?? null, params: entry.params ?? {}, outcome });
  }

  /** Records one entry by the account `userId` (who may be gone by now: then its id is kept in the email's place). */
  async recordFor(userId: string, entry: AuditedAction, outcome: AuditOutcomeName = AuditOutcome.OK): Promise<void> {
    const actor = await this.#users.findById(userId);
    await this.record({ id: actor?.id ?? null, email: actor?.email ?? `unknown user ${userId}` }, entry, outcome);
  }

  /** Returns when `actor` is an admin; otherwise records the attempt as denied and throws `forbidden`. */
  async requireAdmin(actor: Actor, entry: AuditedAction, doing: string): Promise<void> {
    if (actor.role === Role.ADMIN) return;
    await this.record(actor, entry, AuditOutcome.DENIED);
    throw new ApexError(ErrorCode.FORBIDDEN, `Only an admin can ${doing}; ask one of your admins.`);
  }

  /** The dispatcher's hook for a refused tool call: recorded as denied, never throwing (failures go to onError). */
  readonly toolDenied = async (denial: ToolDenial): Promise<void> => {
    try {
      await this.recordFor(
        denial.context.userId,
        { action: AuditAction.TOOL_CALL, target: denial.toolName, params: { ...denial.parameters, run_id: denial.context.runId } },
        AuditOutcome.DENIED,
      );
    } catch (error) {
      this.#onError(error);
    }
  };
}
