// Lint: typescript-eslint's recommended rules plus Apex's own rules (eslint-rules/), which read the named values and
// the metadata store's API from the sources that own them.
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";
import apex from "./eslint-rules/index.js";
import { metadataStoreApi, namedValueCategories } from "./eslint-rules/project-facts.js";

/** The named values that must never be spelled as strings outside src/protocol/ (architecture.md). */
const categories = await namedValueCategories([
  "event_type",
  "client_command",
  "control_frame",
  "error_code",
  "env_var",
  "route_path",
]);

export default defineConfig(
  // Fixtures break the rules on purpose; test/architecture lints them explicitly.
  globalIgnores(["coverage/", ".ci-out/", ".apex/", "bench/out/", "dist/", "test/architecture/fixtures/"]),
  {
    files: ["**/*.{ts,tsx}"],
    extends: [tseslint.configs.recommended],
  },
  {
    files: ["**/*.{ts,tsx,js,mjs,cjs}"],
    plugins: { apex },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "no-console": "error",
      "apex/no-banned-names": "error",
      "apex/no-named-value-literals": ["error", { categories }],
      "apex/no-metadata-writes": ["error", { publicMembers: metadataStoreApi() }],
    },
  },
  {
    // Per-request state comes from the factory; tests may keep fixtures at module level.
    files: ["src/runtime/**/*.ts", "src/agents/**/*.ts", "src/tools/**/*.ts"],
    ignores: ["**/*.test.ts"],
    rules: { "apex/no-module-state": "error" },
  },
  { files: ["src/protocol/**"], rules: { "apex/no-named-value-literals": "off" } },
  { files: ["src/runtime/metadata.ts"], rules: { "apex/no-metadata-writes": "off" } },
  // The CLI talks to a terminal; benchmarks print their figures.
  { files: ["src/cli/**", "bench/**", "bin/**"], rules: { "no-console": "off" } },
);
