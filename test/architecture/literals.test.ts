import { describe, expect, it } from "vitest";
import { editDistance, nearestNames } from "../../src/cli/edit-distance.ts";
import { buildNamedValuesIndex } from "../../src/cli/named-values-index.ts";
import { ClientCommand, EventType, NAMED_VALUE_CATEGORIES } from "../../src/protocol/names.ts";
import { ROOT, runApex } from "./run-apex.ts";

// `apex literals`: the named-values index of src/protocol/names.ts and the string literals of the code.

describe("apex literals validate", () => {
  it("says where agent_started is defined and used", () => {
    const run = runApex(["literals", "validate", EventType.AGENT_STARTED]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`EventType.AGENT_STARTED = "${EventType.AGENT_STARTED}"  (event_type)`);
    expect(run.stdout).toMatch(/defined at src\/protocol\/names\.ts:\d+/);
    expect(run.stdout).toMatch(/used \d+ times: .*src\/protocol\/events\.ts:\d+/);
  });

  it("accepts the constant's name and gives the same answer as JSON", () => {
    const run = runApex(["literals", "validate", "EventType.AGENT_STARTED", "--json"]);
    const result = JSON.parse(run.stdout) as { valid: boolean; matches: { value: string; definedAt: { file: string } }[] };
    expect(run.status).toBe(0);
    expect(result.valid).toBe(true);
    expect(result.matches).toEqual([expect.objectContaining({ value: EventType.AGENT_STARTED, definedAt: expect.objectContaining({ file: "src/protocol/names.ts" }) })]);
  });

  it("suggests the nearest names for a misspelled one and exits 1", () => {
    const misspelled = EventType.AGENT_STARTED.replace("started", "startd");
    const run = runApex(["literals", "validate", misspelled]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`"${misspelled}" is not a named value`);
    expect(run.stderr).toContain(`Did you mean: ${EventType.AGENT_STARTED}`);
    expect(run.stderr).toContain("[not_found]");
    const json = runApex(["literals", "validate", EventType.TOOL_COMPLETED.slice(0, -1), "--json"]);
    expect(json.status).toBe(1);
    expect((JSON.parse(json.stdout) as { suggestions: string[] }).suggestions[0]).toBe(EventType.TOOL_COMPLETED);
  });
});

describe("apex literals stats, list and search", () => {
  it("counts the named values by category, as NAMED_VALUE_CATEGORIES holds them", () => {
    const run = runApex(["literals", "stats", "--json"]);
    const stats = JSON.parse(run.stdout) as { byCategory: Record<string, number>; namedValues: number; distinctCodeLiterals: number };
    expect(run.status).toBe(0);
    const expected = Object.fromEntries(Object.entries(NAMED_VALUE_CATEGORIES).map(([c, values]) => [c, Object.keys(values).length]));
    expect(stats.byCategory).toEqual(expected);
    expect(stats.namedValues).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
    expect(stats.distinctCodeLiterals).toBeGreaterThan(100);
    expect(runApex(["literals", "stats"]).stdout).toMatch(/^\d+ named values in \d+ categories:\n {2}event_type {9}13/);
  });

  it("lists one category, and refuses an unknown one with the known ones", () => {
    const run = runApex(["literals", "list", "client_command", "--json"]);
    const list = JSON.parse(run.stdout) as { categories: { category: string; values: { reference: string; value: string }[] }[] };
    expect(list.categories).toHaveLength(1);
    expect(list.categories[0]?.values).toContainEqual({ reference: "ClientCommand.CANCEL_RUN", value: ClientCommand.CANCEL_RUN });
    const unknown = runApex(["literals", "list", "colours"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('No category "colours"');
  });

  it("finds named values and code literals containing a text", () => {
    const run = runApex(["literals", "search", "cancel", "--json"]);
    const found = JSON.parse(run.stdout) as { matches: { reference: string }[] };
    expect(found.matches.map((m) => m.reference)).toEqual(
      expect.arrayContaining(["EventType.RUN_CANCELLED", "ClientCommand.CANCEL_RUN", "ErrorCode.CANCELLED"]),
    );
  });
});

describe("the named-values index", () => {
  const index = buildNamedValuesIndex(ROOT);

  it("finds a definition line in names.ts for every named value", () => {
    const undefinedValues = index.entries.filter((e) => e.definedAt === null).map((e) => e.reference);
    expect(undefinedValues).toEqual([]);
  });

  it("counts uses of the constants and literals spelled out, and skips the definitions themselves", () => {
    const started = index.entries.find((e) => e.reference === "EventType.AGENT_STARTED");
    expect(started?.usages.length).toBeGreaterThan(0);
    expect(started?.protocolLiterals.some((l) => l.file === "src/protocol/names.ts")).toBe(false);
    // Module specifiers are not literals of the code (built here so this file does not contain one).
    expect(index.codeLiterals.get(["..", "protocol", "names.ts"].join("/"))).toBeUndefined();
  });
});

describe("nearest names", () => {
  it("measures edits", () => {
    expect(editDistance("abcdef", "abcdef")).toBe(0);
    expect(editDistance("abcdf", "abcdef")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });

  it("keeps close names, closest first, and drops far ones", () => {
    expect(nearestNames("cost_by_mode", ["cost_by_day", "cost_by_model", "tokens"])).toEqual(["cost_by_model", "cost_by_day"]);
    expect(nearestNames("zzzz", ["cost_by_model", "tokens"])).toEqual([]);
    expect(nearestNames("model", ["cost_by_model", "model_rank", "tokens"])).toEqual(["cost_by_model", "model_rank"]);
  });
});
