// Layer rules of architecture.md ("Layers and the direction of imports"), checked on every commit by `npm run check`.
// Type-only imports count: a type from another layer is still knowledge of that layer.

/** Each layer under src/ and the layers it may import (besides itself). */
const LAYERS = {
  protocol: [],
  runtime: ["protocol"],
  analytics: ["protocol"],
  pricing: [],
  llm: ["protocol"],
  store: ["protocol"],
  bus: ["protocol"],
  tools: ["protocol", "runtime", "analytics", "pricing", "llm"],
  agents: ["protocol", "runtime", "tools", "llm"],
  telemetry: ["protocol"],
  server: ["protocol", "runtime", "analytics", "pricing", "llm", "store", "bus", "tools", "agents", "telemetry"],
  cli: ["protocol", "runtime", "analytics", "pricing", "llm", "store", "bus", "tools", "agents", "telemetry", "server"],
  web: ["protocol"],
};
const ANY_LAYER = Object.keys(LAYERS).join("|");

/** Packages that mean sockets or databases: the runtime and the agents must know none of them (architecture.md). */
const DRIVERS = "node_modules/(pg|pg-[^/]+|@electric-sql/pglite|@duckdb/[^/]+|ws|fastify|@fastify/[^/]+|ioredis|drizzle-orm)/";

const layerRules = Object.entries(LAYERS).map(([layer, allowed]) => ({
  name: `layer-${layer}`,
  comment: `src/${layer}/ may import ${allowed.length > 0 ? allowed.map((l) => `src/${l}/`).join(", ") : "nothing of ours"}`,
  severity: "error",
  from: { path: `^src/${layer}/` },
  to: { path: "^src/", pathNot: `^src/(${[layer, ...allowed].join("|")})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: "no-circular",
      comment: "A cycle makes two modules one concept in two files: merge them or move the shared part down a layer.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "src-unknown-layer",
      comment: `Every file under src/ belongs to a layer folder of architecture.md (${ANY_LAYER}).`,
      severity: "error",
      from: { path: "^src/", pathNot: `^src/(${ANY_LAYER})/` },
      to: {},
    },
    {
      name: "src-not-to-tests",
      comment: "Production code never imports tests or benchmarks.",
      severity: "error",
      from: { path: "^src/", pathNot: "\\.test\\.ts$" },
      to: { path: "^(test|bench)/|\\.test\\.ts$" },
    },
    {
      name: "test-not-to-bench",
      comment: "test/ and bench/ may import anything in src/, but not each other's internals.",
      severity: "error",
      from: { path: "^test/" },
      to: { path: "^bench/" },
    },
    {
      name: "bench-not-to-test",
      comment: "test/ and bench/ may import anything in src/, but not each other's internals.",
      severity: "error",
      from: { path: "^bench/" },
      to: { path: "^test/" },
    },
    {
      name: "runtime-agents-no-drivers",
      comment: "runtime/ and agents/ know no socket and no database driver: they receive what they need as arguments.",
      severity: "error",
      from: { path: "^src/(runtime|agents)/" },
      to: { path: DRIVERS },
    },
    {
      name: "web-no-node-builtins",
      comment: "The web UI runs in the browser: no Node built-ins.",
      severity: "error",
      from: { path: "^src/web/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "not-to-unresolvable",
      comment: "An import that does not resolve is a typo or a missing dependency.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "no-non-package-json",
      comment: "Every package imported must be declared in package.json (no reliance on hoisting).",
      severity: "error",
      from: {},
      to: { dependencyTypes: ["npm-no-pkg", "npm-unknown"] },
    },
    {
      name: "src-not-to-dev-dep",
      comment:
        "Production code runs without devDependencies; only the developer commands (apex check, apex literals) load them, lazily.",
      severity: "error",
      from: {
        path: "^src/",
        pathNot: ["\\.test\\.ts$", "^src/cli/(ssot-[a-z-]+|class-hierarchy|named-values-index)\\.ts$"],
      },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^test/architecture/fixtures/" },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".json"],
      conditionNames: ["import", "require", "node", "default", "types"],
      exportsFields: ["exports"],
      mainFields: ["module", "main", "types", "typings"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
