import { describe, expect, it } from "vitest";
import { ErrorCode, Role, Tier } from "../protocol/names.ts";
import { UserExecutionContext } from "./context.ts";

const base = { userId: "user-1", threadId: "thread-1", runId: "run-1" };

describe("UserExecutionContext", () => {
  it("holds the request's identity with defaults for request id, role and tier", () => {
    const ctx = UserExecutionContext.create(base);
    expect(ctx).toMatchObject({ userId: "user-1", threadId: "thread-1", runId: "run-1", role: Role.USER, tier: Tier.FREE });
    expect(ctx.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ctx.parent).toBeUndefined();
  });

  it("is immutable", () => {
    const ctx = UserExecutionContext.create(base);
    expect(() => {
      (ctx as { userId: string }).userId = "someone-else";
    }).toThrow(TypeError);
    expect(ctx.userId).toBe("user-1");
  });

  it.each([
    ["empty", { userId: "" }, /user_id is missing/],
    ["blank", { threadId: "   " }, /thread_id is missing/],
    ["placeholder", { runId: "placeholder" }, /placeholder/],
    ["the string undefined", { userId: "undefined" }, /placeholder/],
    ["bad characters", { userId: "a b" }, /not a valid id/],
    ["too long", { userId: "a".repeat(129) }, /not a valid id/],
  ])("rejects %s ids with a clear error", (_, patch, message) => {
    expect(() => UserExecutionContext.create({ ...base, ...patch })).toThrow(message);
    try {
      UserExecutionContext.create({ ...base, ...patch });
    } catch (error) {
      expect((error as { code: string }).code).toBe(ErrorCode.INVALID_CONTEXT);
    }
  });

  it("rejects an unknown role", () => {
    expect(() => UserExecutionContext.create({ ...base, role: "root" as never })).toThrow(/role "root" is unknown/);
  });

  it("makes child contexts for sub-operations that share identity and follow the parent's abort", () => {
    const controller = new AbortController();
    const ctx = UserExecutionContext.create({ ...base, role: Role.ADMIN, signal: controller.signal });
    const child = ctx.child("tool:cost_by_model");
    const grandchild = child.child("sql");
    expect(child).toMatchObject({ userId: "user-1", threadId: "thread-1", runId: "run-1", role: Role.ADMIN, operation: "tool:cost_by_model" });
    expect(child.requestId).not.toBe(ctx.requestId);
    expect(grandchild.lineage()).toEqual([ctx, child, grandchild]);
    expect(child.signal.aborted).toBe(false);
    controller.abort();
    expect(child.signal.aborted).toBe(true);
    expect(grandchild.signal.aborted).toBe(true);
  });

  it("a child's own signal aborts the child only", () => {
    const ctx = UserExecutionContext.create(base);
    const own = new AbortController();
    const child = ctx.child("slow", own.signal);
    own.abort();
    expect(child.signal.aborted).toBe(true);
    expect(ctx.signal.aborted).toBe(false);
    expect(() => ctx.child("  ")).toThrow(/operation/);
  });
});
