import { describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/names.ts";
import { UserExecutionContext } from "./context.ts";
import { Registry } from "./registry.ts";

const ctx = (userId: string) => UserExecutionContext.create({ userId, threadId: "t1", runId: "r1" });

describe("Registry", () => {
  it("registers values and factories and creates them per context", () => {
    const registry = new Registry<{ owner: string }>("widget");
    const shared = { owner: "nobody" };
    registry.register("plain", shared).registerFactory("per-user", (c) => ({ owner: c.userId }));
    expect(registry.create("plain", ctx("a"))).toBe(shared);
    expect(registry.create("per-user", ctx("a"))).toEqual({ owner: "a" });
    expect(registry.create("per-user", ctx("b"))).toEqual({ owner: "b" });
    expect(registry.keys()).toEqual(["plain", "per-user"]);
    expect(registry.has("plain")).toBe(true);
  });

  it("refuses duplicate keys, empty keys, unknown keys, and registration after freeze", () => {
    const registry = new Registry<number>("number");
    registry.register("one", 1);
    expect(() => registry.register("one", 2)).toThrow(expect.objectContaining({ code: ErrorCode.DUPLICATE_KEY }));
    expect(() => registry.register(" ", 2)).toThrow(/non-empty name/);
    expect(() => registry.create("two", ctx("a"))).toThrow(/No number named "two".*registered numbers: one/);
    registry.freeze();
    expect(registry.frozen).toBe(true);
    expect(() => registry.registerFactory("three", () => 3)).toThrow(expect.objectContaining({ code: ErrorCode.REGISTRY_FROZEN }));
    expect(registry.create("one", ctx("a"))).toBe(1);
  });
});
