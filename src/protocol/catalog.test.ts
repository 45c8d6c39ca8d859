import { describe, expect, it } from "vitest";
import { applyCatalogChanges, CatalogEditSchema, CatalogEntriesSchema, CatalogScope, diffCatalogs, layerCatalogs, type CatalogEntry } from "./catalog.ts";

// The catalog's pure rules: changes applied to a version, a tenant layered over the global catalog, the field diff,
// and the edit body's checks (a reason, entries or changes but not both, one entry per model).

const entry = (model: string, input: number, extra: Partial<CatalogEntry> = {}): CatalogEntry => ({ model, provider: "openai", input_per_mtok: input, output_per_mtok: input * 4, substitutes: [], ...extra });

describe("supply catalog rules", () => {
  it("applies removals then sets, models compared case-insensitively, sorted by model", () => {
    const next = applyCatalogChanges([entry("b", 1), entry("a", 2)], { set: [entry("A", 3), entry("c", 4)], remove: ["B"] });
    expect(next).toEqual([entry("A", 3), entry("c", 4)]);
  });

  it("lays tenant entries over global ones", () => {
    expect(layerCatalogs([entry("a", 1), entry("b", 2)], [entry("b", 9)])).toEqual([entry("a", 1), entry("b", 9)]);
  });

  it("diffs added, removed and changed entries field by field", () => {
    const diff = diffCatalogs([entry("a", 1), entry("b", 2)], [entry("a", 1, { capability_tier: "small" }), entry("c", 3)]);
    expect(diff).toEqual({
      added: [entry("c", 3)],
      removed: [entry("b", 2)],
      changed: [{ model: "a", fields: [{ field: "capability_tier", before: undefined, after: "small" }] }],
    });
    expect(diffCatalogs([entry("a", 1)], [entry("a", 1)])).toEqual({ added: [], removed: [], changed: [] });
  });

  it("refuses an edit without a reason, with both entries and changes, or a model listed twice", () => {
    expect(CatalogEditSchema.safeParse({ scope: CatalogScope.GLOBAL, entries: [] }).success).toBe(false);
    expect(CatalogEditSchema.safeParse({ scope: CatalogScope.GLOBAL, entries: [], changes: {}, reason: "both" }).success).toBe(false);
    expect(CatalogEditSchema.safeParse({ scope: CatalogScope.GLOBAL, changes: {}, reason: "fine" }).success).toBe(true);
    expect(CatalogEntriesSchema.safeParse([entry("a", 1), entry("A", 2)]).success).toBe(false);
  });
});
