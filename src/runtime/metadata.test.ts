import { describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/names.ts";
import { MetadataStore } from "./metadata.ts";

describe("MetadataStore", () => {
  it("stores, reads with a default, and reports keys", () => {
    const store = new MetadataStore();
    store.storeResult("intent", "find_savings");
    expect(store.get("intent")).toBe("find_savings");
    expect(store.get("missing", 42)).toBe(42);
    expect(store.get("missing")).toBeUndefined();
    expect(store.keys()).toEqual(["intent"]);
  });

  it("returns frozen snapshots: a reader cannot change what the next agent sees", () => {
    const store = new MetadataStore();
    const original = { models: ["gpt-4o"], totals: { cost: 1.5 } };
    store.storeResult("scope", original);
    original.models.push("mutated-after-write");
    const read = store.get<typeof original>("scope");
    expect(read?.models).toEqual(["gpt-4o"]);
    expect(Object.isFrozen(read)).toBe(true);
    expect(() => (read?.models as string[]).push("x")).toThrow(TypeError);
    expect(() => {
      (read?.totals as { cost: number }).cost = 0;
    }).toThrow(TypeError);
    expect(store.get<typeof original>("scope")?.totals.cost).toBe(1.5);
  });

  it.each([
    ["a function", { fn: () => 1 }, "$.fn", "a function"],
    ["undefined in a list", [1, undefined], "$[1]", "undefined"],
    ["NaN", { x: { y: Number.NaN } }, "$.x.y", "NaN"],
    ["a Date", { at: new Date() }, "$.at", "Date"],
    ["a Map", new Map(), "$", "Map"],
    ["a bigint", { n: 10n }, "$.n", "bigint"],
  ])("refuses %s loudly, naming the key and the path", (_, value, path, what) => {
    const store = new MetadataStore();
    let caught: { code?: string; message?: string } = {};
    try {
      store.storeResult("bad_key", value);
    } catch (error) {
      caught = error as typeof caught;
    }
    expect(caught.code).toBe(ErrorCode.NOT_SERIALIZABLE);
    expect(caught.message).toContain('metadata key "bad_key"');
    expect(caught.message).toContain(`value at ${path} `);
    expect(caught.message).toContain(what);
    expect(store.has("bad_key")).toBe(false);
  });

  it("refuses circular values", () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => new MetadataStore().storeResult("loop", loop)).toThrow(/\$\.self is a circular reference/);
  });

  it("storeBatch is all or nothing", () => {
    const store = new MetadataStore();
    expect(() => store.storeBatch({ good: 1, bad: Symbol("x") })).toThrow(/metadata key "bad"/);
    expect(store.keys()).toEqual([]);
    store.storeBatch({ a: 1, b: [true] });
    expect(store.snapshot()).toEqual({ a: 1, b: [true] });
  });

  it("appends to and extends lists, and refuses to treat a non-list as one", () => {
    const store = new MetadataStore();
    expect(store.appendToList("steps", { n: 1 })).toBe(1);
    expect(store.extendList("steps", [{ n: 2 }, { n: 3 }])).toBe(3);
    expect(store.get("steps")).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(() => store.extendList("steps", [() => 0])).toThrow(/\$\[3\]/);
    store.storeResult("name", "x");
    expect(() => store.appendToList("name", 1)).toThrow(/not a list/);
  });

  it("increments counters and refuses non-counters", () => {
    const store = new MetadataStore();
    expect(store.incrementCounter("calls")).toBe(1);
    expect(store.incrementCounter("calls", 4)).toBe(5);
    expect(() => store.incrementCounter("calls", Number.POSITIVE_INFINITY)).toThrow(/finite/);
    store.storeResult("label", "x");
    expect(() => store.incrementCounter("label")).toThrow(/not a counter/);
  });

  it("propagates chosen keys to a child store without sharing mutable state", () => {
    const parent = new MetadataStore();
    parent.storeBatch({ scope: { model: "gpt-4o" }, secret: "parent-only" });
    const child = new MetadataStore();
    parent.propagate(child, ["scope"]);
    expect(child.get("scope")).toEqual({ model: "gpt-4o" });
    expect(child.has("secret")).toBe(false);
    child.storeResult("scope", "changed in child");
    expect(parent.get("scope")).toEqual({ model: "gpt-4o" });
  });
});
