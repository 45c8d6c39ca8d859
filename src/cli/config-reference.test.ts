import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EnvVar } from "../protocol/names.ts";
import { configReference } from "./config-reference.ts";

const COMMITTED = new URL("../../docs/configuration.md", import.meta.url);

describe("the configuration reference", () => {
  it("is committed as generated (run `npm run docs:config` after changing src/server/config.ts)", () => {
    const committed = readFileSync(COMMITTED, "utf8");
    expect(committed === configReference(), "docs/configuration.md is stale: run `npm run docs:config` and commit it").toBe(true);
  });

  it("lists every env var once, with its type and default", () => {
    const reference = configReference();
    for (const name of Object.values(EnvVar)) expect(reference.split(`| \`${name}\` |`)).toHaveLength(2);
    expect(reference).toContain(`| \`${EnvVar.PORT}\` | integer 0 to 65535 | \`3000\` |`);
    expect(reference).toContain(`| \`${EnvVar.LLM_PROVIDER}\` | one of \`offline\`, \`openai\`, \`anthropic\` | \`offline\` |`);
  });
});
