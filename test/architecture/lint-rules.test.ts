import path from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint, RuleTester, type Rule } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
import { ControlFrame, EnvVar, ErrorCode, EventType, NAMED_VALUE_CATEGORIES, RoutePath } from "../../src/protocol/names.ts";

// The project's own lint rules: the fixture trees linted with the real eslint.config.js (what `npm run check` runs),
// then each rule's edge cases with ESLint's RuleTester.

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURES = path.join(ROOT, "test/architecture/fixtures");
const CONFIG = path.join(ROOT, "eslint.config.js");

// The plugin is plain JavaScript (ESLint loads it without tsx), so it is imported by URL, untyped.
const plugin = (await import(new URL("../../eslint-rules/index.js", import.meta.url).href)).default as {
  rules: Record<string, Rule.RuleModule>;
};
const facts = (await import(new URL("../../eslint-rules/project-facts.js", import.meta.url).href)) as {
  namedValueCategories(wanted: readonly string[]): Promise<Record<string, { constName: string; entries: Record<string, string> }>>;
  metadataStoreApi(): string[];
};

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser } });

async function lintFixture(name: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: path.join(FIXTURES, name), overrideConfigFile: CONFIG });
  const results = await eslint.lintFiles(["."]);
  return results
    .flatMap((result) =>
      result.messages.map(
        (m) => `${path.relative(path.join(FIXTURES, name), result.filePath).split(path.sep).join("/")}:${m.line} ${m.ruleId}`,
      ),
    )
    .sort();
}

describe("npm run check's lint on fixture trees", () => {
  it("passes a tree that follows every project rule", async () => {
    expect(await lintFixture("lint-clean")).toEqual([]);
  });

  it("reports each violation of each project rule, and nothing else", async () => {
    expect(await lintFixture("lint-violations")).toEqual(
      [
        "src/agents/tamper.ts:6 apex/no-metadata-writes",
        "src/agents/tamper.ts:7 apex/no-metadata-writes",
        "src/agents/tamper.ts:8 apex/no-metadata-writes",
        "src/agents/utils/format.ts:1 apex/no-banned-names",
        "src/analytics/debug-print.ts:3 no-console",
        "src/runtime/event-literals.ts:3 apex/no-named-value-literals",
        "src/runtime/event-literals.ts:6 apex/no-named-value-literals",
        "src/runtime/event-literals.ts:6 apex/no-named-value-literals",
        "src/runtime/event-literals.ts:9 apex/no-named-value-literals",
        "src/runtime/run-counter.ts:2 apex/no-module-state",
        "src/runtime/run-counter.ts:7 apex/no-module-state",
        "src/tools/cost-manager.ts:1 apex/no-banned-names",
        "src/tools/cost-manager.ts:2 apex/no-banned-names",
      ].sort(),
    );
  });

  it("leaves the fixtures out of the main run", async () => {
    const eslint = new ESLint({ cwd: ROOT });
    expect(await eslint.isPathIgnored(path.join(FIXTURES, "lint-violations/src/runtime/run-counter.ts"))).toBe(true);
    expect(await eslint.isPathIgnored(path.join(ROOT, "src/runtime/engine.ts"))).toBe(false);
    expect(await eslint.isPathIgnored(path.join(ROOT, "test/architecture/lint-rules.test.ts"))).toBe(false);
  });
});

describe("the facts the rules read from the sources", () => {
  it("takes every named value of the linted categories from names.ts", async () => {
    const categories = await facts.namedValueCategories(["event_type", "error_code"]);
    expect(categories.event_type?.constName).toBe("EventType");
    expect(categories.event_type?.entries).toEqual(NAMED_VALUE_CATEGORIES.event_type);
    expect(categories.error_code?.entries).toEqual(NAMED_VALUE_CATEGORIES.error_code);
    await expect(facts.namedValueCategories(["no_such_category"])).rejects.toThrow(/no category "no_such_category"/);
  });

  it("takes the metadata store's public API from metadata.ts, without its private parts", () => {
    const api = facts.metadataStoreApi();
    for (const writer of ["storeResult", "storeBatch", "appendToList", "extendList", "incrementCounter", "propagate", "get"]) {
      expect(api).toContain(writer);
    }
    expect(api).not.toContain("values");
    expect(api).not.toContain("#values");
  });
});

// A slice of the catalogue, from the catalogue (the snippets below spell these values, as violations do).
const categories = {
  event_type: { constName: "EventType", entries: { AGENT_STARTED: EventType.AGENT_STARTED } },
  control_frame: { constName: "ControlFrame", entries: { ERROR: ControlFrame.ERROR, PONG: ControlFrame.PONG } },
  error_code: { constName: "ErrorCode", entries: { INTERNAL: ErrorCode.INTERNAL } },
  env_var: { constName: "EnvVar", entries: { PORT: EnvVar.PORT } },
  route_path: { constName: "RoutePath", entries: { HEALTH: RoutePath.HEALTH } },
};

tester.run("no-named-value-literals", plugin.rules["no-named-value-literals"] as Rule.RuleModule, {
  valid: [
    { code: `emit(EventType.AGENT_STARTED);`, options: [{ categories }] },
    { code: `socket.on("error", onError);`, options: [{ categories }] },
    { code: `const record = { status: "error" };`, options: [{ categories }] },
    { code: `const words = ["pong", "internal"];`, options: [{ categories }] },
    { code: `import x from "agent_started";`, options: [{ categories }] },
    { code: "const sentence = `agent_started is the first event`;", options: [{ categories }] },
  ],
  invalid: [
    { code: `emit("agent_started");`, options: [{ categories }], errors: [{ messageId: "literal" }] },
    { code: "emit(`agent_started`);", options: [{ categories }], errors: [{ messageId: "literal" }] },
    { code: `const frame = { type: "error" };`, options: [{ categories }], errors: [{ messageId: "literal" }] },
    { code: `if (frame.type === "pong") reply();`, options: [{ categories }], errors: [{ messageId: "literal" }] },
    { code: `switch (e.code) { case "internal": break; }`, options: [{ categories }], errors: [{ messageId: "literal" }] },
    { code: `throw new ApexError("internal", "boom");`, options: [{ categories }], errors: [{ messageId: "literal" }] },
    { code: `type Frame = { type: "pong" | "other" };`, options: [{ categories }], errors: [{ messageId: "literal" }] },
    { code: `const port = process.env["APEX_PORT"];`, options: [{ categories }], errors: [{ messageId: "literal" }] },
    { code: `app.get("/health", handler);`, options: [{ categories }], errors: [{ messageId: "literal" }] },
  ],
});

const publicMembers = ["storeResult", "storeBatch", "get", "has", "keys", "appendToList", "extendList", "incrementCounter", "propagate", "snapshot"];
const runtimeImport = `import type { MetadataStore } from "../runtime/metadata.ts";\n`;

tester.run("no-metadata-writes", plugin.rules["no-metadata-writes"] as Rule.RuleModule, {
  valid: [
    { code: `${runtimeImport}metadata.storeResult("k", 1); metadata.appendToList("l", 2);`, options: [{ publicMembers }] },
    { code: `${runtimeImport}const list = [...metadata.get("l", [])]; list.push(3); metadata.storeResult("l", list);`, options: [{ publicMembers }] },
    { code: `${runtimeImport}let total = metadata.get("n", 0); total += 1; input.metadata.incrementCounter("n");`, options: [{ publicMembers }] },
    // A file that imports nothing from the runtime cannot hold the store: `metadata` there is someone else's data.
    { code: `row.metadata.user = "x"; const m = row.metadata.tags;`, options: [{ publicMembers }] },
  ],
  invalid: [
    { code: `${runtimeImport}metadata.get("l").push(1);`, options: [{ publicMembers }], errors: [{ messageId: "snapshotWrite" }] },
    { code: `${runtimeImport}const t = metadata.get("t"); t.cost = 0;`, options: [{ publicMembers }], errors: [{ messageId: "snapshotWrite" }] },
    { code: `${runtimeImport}const { items } = ctx.metadata.snapshot(); items.length = 0;`, options: [{ publicMembers }], errors: [{ messageId: "snapshotWrite" }] },
    { code: `${runtimeImport}Object.assign(metadata.get("t") as any, { cost: 0 });`, options: [{ publicMembers }], errors: [{ messageId: "snapshotWrite" }] },
    { code: `${runtimeImport}(metadata as any).values.set("k", 1);`, options: [{ publicMembers }], errors: [{ messageId: "internal" }] },
    { code: `${runtimeImport}this.metadata["values"].clear();`, options: [{ publicMembers }], errors: [{ messageId: "internal" }] },
    { code: `${runtimeImport}metadata.storeResult = () => undefined;`, options: [{ publicMembers }], errors: [{ messageId: "storeWrite" }] },
    {
      code: `const t = metadata.get("t"); delete t.cost;`,
      filename: path.join(ROOT, "src/runtime/engine.ts"),
      options: [{ publicMembers }],
      errors: [{ messageId: "snapshotWrite" }],
    },
  ],
});

tester.run("no-module-state", plugin.rules["no-module-state"] as Rule.RuleModule, {
  valid: [
    `const LIMIT = 3; export function f() { let n = 0; n += LIMIT; return n; }`,
    `const TABLE = new Map([["a", 1]]); export const get = (k) => TABLE.get(k);`,
    `export const PIPELINE: readonly string[] = ["a", "b"];`,
    `export const KINDS = ["a", "b"] as const;`,
    `export function make() { const cache = new Map(); cache.set("a", 1); return cache; }`,
  ],
  invalid: [
    { code: `let count = 0; export const next = () => ++count;`, errors: [{ messageId: "moduleLet" }] },
    { code: `export var current = null;`, errors: [{ messageId: "moduleLet" }] },
    { code: `const cache = new Map(); export function f(k) { cache.set(k, 1); }`, errors: [{ messageId: "mutated" }] },
    { code: `const state = { runs: 0 }; export function f() { state.runs++; }`, errors: [{ messageId: "mutated" }] },
    { code: `const list = []; export function f(x) { list.push(x); }`, errors: [{ messageId: "mutated" }] },
    { code: `export const registry = new Map();`, errors: [{ messageId: "exportedContainer" }] },
    { code: `class Pool { static size = 0 } Pool.size = 4;`, errors: [{ messageId: "mutated" }] },
  ],
});

tester.run("no-banned-names", plugin.rules["no-banned-names"] as Rule.RuleModule, {
  valid: [
    `class EngineFactory {}`,
    `const cacheUtilization = 0.5;`,
    `function managedBy() {}`,
    `import { ConnectionManager } from "some-library";`,
    { code: `export const a = 1;`, filename: path.join(ROOT, "src/runtime/engine-factory.ts") },
  ],
  invalid: [
    { code: `class RunManager {}`, errors: [{ messageId: "name" }] },
    { code: `function formatHelper() {}`, errors: [{ messageId: "name" }] },
    { code: `const stringUtils = {};`, errors: [{ messageId: "name" }] },
    { code: `interface EnhancedRecord {}`, errors: [{ messageId: "name" }] },
    { code: `type ConsolidatedView = string;`, errors: [{ messageId: "name" }] },
    { code: `class A { unifiedEmit() {} }`, errors: [{ messageId: "name" }] },
    { code: `import { Manager as RunManager } from "lib";`, errors: [{ messageId: "name" }] },
    { code: `export const a = 1;`, filename: path.join(ROOT, "src/runtime/helpers/a.ts"), errors: [{ messageId: "folder" }] },
    { code: `export const a = 1;`, filename: path.join(ROOT, "src/runtime/string-utils.ts"), errors: [{ messageId: "file" }] },
  ],
});
