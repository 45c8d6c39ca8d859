import { randomUUID } from "node:crypto";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Role, Tier, type RoleName, type TierName } from "../protocol/names.ts";

// The immutable identity of one request. Everything per request is keyed by it; nothing is shared between two of them.

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** Ids that show up when a caller forgot to pass a real one; the original platform leaked users through these. */
const PLACEHOLDER_IDS: ReadonlySet<string> = new Set([
  "undefined",
  "null",
  "none",
  "nil",
  "placeholder",
  "default",
  "unknown",
  "anonymous",
  "temp",
  "tmp",
  "test",
  "todo",
  "xxx",
  "changeme",
  "0",
  "user_id",
  "thread_id",
  "run_id",
  "request_id",
  "registry",
]);

export interface ContextInit {
  userId: string;
  threadId: string;
  runId: string;
  requestId?: string;
  role?: RoleName;
  tier?: TierName;
  signal?: AbortSignal;
}

function validId(field: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ApexError(ErrorCode.INVALID_CONTEXT, `${field} is missing: every request needs a real ${field}.`);
  }
  if (PLACEHOLDER_IDS.has(value.toLowerCase())) {
    throw new ApexError(
      ErrorCode.INVALID_CONTEXT,
      `${field} "${value}" is a placeholder, not an id: pass the real ${field} of this request.`,
    );
  }
  if (!ID_PATTERN.test(value)) {
    throw new ApexError(
      ErrorCode.INVALID_CONTEXT,
      `${field} "${value.slice(0, 40)}" is not a valid id: use 1–128 letters, digits, and . _ : @ - (starting with a letter or digit).`,
    );
  }
  return value;
}

export class UserExecutionContext {
  readonly userId: string;
  readonly threadId: string;
  readonly runId: string;
  readonly requestId: string;
  readonly role: RoleName;
  readonly tier: TierName;
  readonly signal: AbortSignal;
  readonly parent: UserExecutionContext | undefined;
  /** What this context is for, when it is a child (e.g. `tool:cost_by_model`). */
  readonly operation: string | undefined;

  private constructor(init: Required<ContextInit>, parent?: UserExecutionContext, operation?: string) {
    this.userId = validId("user_id", init.userId);
    this.threadId = validId("thread_id", init.threadId);
    this.runId = validId("run_id", init.runId);
    this.requestId = validId("request_id", init.requestId);
    if (!Object.values(Role).includes(init.role)) {
      throw new ApexError(ErrorCode.INVALID_CONTEXT, `role "${String(init.role)}" is unknown: use one of ${Object.values(Role).join(", ")}.`);
    }
    if (!Object.values(Tier).includes(init.tier)) {
      throw new ApexError(ErrorCode.INVALID_CONTEXT, `tier "${String(init.tier)}" is unknown: use one of ${Object.values(Tier).join(", ")}.`);
    }
    this.role = init.role;
    this.tier = init.tier;
    this.signal = init.signal;
    this.parent = parent;
    this.operation = operation;
    Object.freeze(this);
  }

  static create(init: ContextInit): UserExecutionContext {
    return new UserExecutionContext({
      userId: init.userId,
      threadId: init.threadId,
      runId: init.runId,
      requestId: init.requestId ?? randomUUID(),
      role: init.role ?? Role.USER,
      tier: init.tier ?? Tier.FREE,
      signal: init.signal ?? new AbortController().signal,
    });
  }

  /**
   * A context for a sub-operation: same user, thread and run, a new request id, this context as parent, and a signal
   * that aborts when this one does (or when the optional extra signal does).
   */
  child(operation: string, signal?: AbortSignal): UserExecutionContext {
    if (operation.trim() === "") {
      throw new ApexError(ErrorCode.INVALID_CONTEXT, "A child context needs the name of the operation it is for.");
    }
    return new UserExecutionContext(
      {
        userId: this.userId,
        threadId: this.threadId,
        runId: this.runId,
        requestId: randomUUID(),
        role: this.role,
        tier: this.tier,
        signal: signal === undefined ? this.signal : AbortSignal.any([this.signal, signal]),
      },
      this,
      operation,
    );
  }

  get isAdmin(): boolean {
    return this.role === Role.ADMIN;
  }

  /** The chain from the root context down to this one. */
  lineage(): UserExecutionContext[] {
    return this.parent === undefined ? [this] : [...this.parent.lineage(), this];
  }
}
