import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Role, type RoleName } from "../protocol/names.ts";
import type { ToolDenial } from "../runtime/tool-dispatcher.ts";
import { AuditLogRepository, AuditOutcome, type AuditOutcomeName } from "../store/audit-log.ts";
import type { StoreDb } from "../store/database.ts";
import { UserRepository } from "../store/users.ts";
import { AuditAction, type AuditActionName } from "./audit-actions.ts";
import type { ThrottleEpisode } from "./login-throttle.ts";

// Who did what, written down: admin actions as they succeed, and refused attempts (a REST call or a tool call by a
// non-admin) before `forbidden` is answered. Parameters go through `withoutSecrets` in the repository. A refused
// attempt keeps at most 4 KB of its parameters (the entry says it was cut), and one user's refusals past 20 a minute
// are summed up in one entry instead of one each: a flood of refused calls cannot fill the log.

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

export interface DeniedLimits {
  /** Bytes of a refused attempt's parameters (as JSON) kept in its entry. */
  paramBytes: number;
  /** Refused attempts recorded per user and minute; past it one summary entry, then none until the next minute. */
  perMinute: number;
}

const DEFAULT_DENIED_LIMITS: DeniedLimits = { paramBytes: 4096, perMinute: 20 };
const WINDOW_MS = 60_000;
/** The email column's bound: a throttled email is whatever was typed, up to the login body's 320 characters. */
const MAX_EMAIL_CHARS = 320;
/** Past this many users in the map, windows already over are dropped. */
const SWEEP_AT = 10_000;

/** `params` when their JSON fits in `maxBytes`; otherwise their clipped JSON text, marked as cut, with the full size. */
function clippedParams(params: Record<string, unknown>, maxBytes: number): Record<string, unknown> {
  const json = JSON.stringify(params);
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes <= maxBytes) return params;
  const preview = Buffer.from(json, "utf8").subarray(0, maxBytes).toString("utf8").replace(/\uFFFD$/, "");
  return { truncated: true, original_bytes: bytes, kept_bytes: maxBytes, preview };
}

export class AuditTrail {
  readonly #log: AuditLogRepository;
  readonly #users: UserRepository;
  readonly #onError: (error: unknown) => void;
  readonly #limits: DeniedLimits;
  readonly #now: () => number;
  /** Per actor: the minute's window of refused attempts on this node. */
  readonly #denied = new Map<string, { start: number; count: number }>();

  constructor(db: StoreDb, onError: (error: unknown) => void = () => undefined, limits: Partial<DeniedLimits> = {}, now: () => number = Date.now) {
    this.#log = new AuditLogRepository(db);
    this.#users = new UserRepository(db);
    this.#onError = onError;
    this.#limits = { ...DEFAULT_DENIED_LIMITS, ...limits };
    this.#now = now;
  }

  /** Records one entry; the actor's id is null for an account that no longer exists. Refusals are clipped and capped. */
  async record(actor: { id: string | null; email: string }, entry: AuditedAction, outcome: AuditOutcomeName = AuditOutcome.OK): Promise<void> {
    let params = entry.params ?? {};
    let action = entry.action;
    if (outcome === AuditOutcome.DENIED) {
      const admitted = this.#admitDenied(actor.id ?? actor.email);
      if (admitted === "drop") return;
      if (admitted === "summary") {
        action = AuditAction.DENIED_SUPPRESSED;
        params = {
          first_suppressed_action: entry.action,
          limit_per_minute: this.#limits.perMinute,
          note: `More than ${this.#limits.perMinute} refused attempts within a minute; the rest of this minute's are not recorded.`,
        };
      } else {
        params = clippedParams(params, this.#limits.paramBytes);
      }
    }
    await this.#log.record({ actorId: actor.id, actorEmail: actor.email, action, target: entry.target ?? null, params, outcome });
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

  /** One entry per throttled sign-in episode (the account tried, or the address), never throwing. */
  readonly loginThrottled = async (episode: ThrottleEpisode, address: string): Promise<void> => {
    try {
      const account = episode.scope === "account" ? await this.#users.findByEmail(episode.key) : null;
      await this.#log.record({
        actorId: account?.id ?? null,
        actorEmail: episode.scope === "account" ? episode.key.slice(0, MAX_EMAIL_CHARS) : `address ${address}`,
        action: AuditAction.LOGIN_THROTTLED,
        target: episode.key.slice(0, MAX_EMAIL_CHARS),
        params: { scope: episode.scope, address, failures: episode.failures, blocked_for_s: Math.ceil(episode.retryAfterMs / 1000) },
        outcome: AuditOutcome.DENIED,
      });
    } catch (error) {
      this.#onError(error);
    }
  };

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

  #admitDenied(actorKey: string): "record" | "summary" | "drop" {
    const now = this.#now();
    if (this.#denied.size > SWEEP_AT) {
      for (const [key, window] of this.#denied) if (now - window.start >= WINDOW_MS) this.#denied.delete(key);
    }
    let window = this.#denied.get(actorKey);
    if (window === undefined || now - window.start >= WINDOW_MS) {
      window = { start: now, count: 0 };
      this.#denied.set(actorKey, window);
    }
    window.count += 1;
    if (window.count <= this.#limits.perMinute) return "record";
    return window.count === this.#limits.perMinute + 1 ? "summary" : "drop";
  }
}
