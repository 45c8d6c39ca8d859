import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type AnswerKey, AnswerKeySchema } from "../analytics/generator/answer-key.ts";
import { UsageRecordSchema } from "../analytics/record.ts";
import { EnvVar, OpportunityKind } from "../protocol/names.ts";

const APEX = fileURLToPath(new URL("../../bin/apex.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "apex-generate-"));

function apex(...args: string[]): { status: number | null; stderr: string } {
  const env = { ...process.env };
  delete env[EnvVar.PRICES_FILE]; // the bundled table unless a test passes --prices
  const result = spawnSync(process.execPath, [APEX, "generate", ...args], { encoding: "utf8", cwd: dir, env });
  return { status: result.status, stderr: result.stderr };
}

const readKey = (file: string): AnswerKey => AnswerKeySchema.parse(JSON.parse(readFileSync(join(dir, file), "utf8")));

describe("apex generate", () => {
  it("writes canonical JSONL and an answer key, byte-identical for the same seed", () => {
    const common = ["--scenario", "saas", "--records", "4000", "--days", "3", "--seed", "9"];
    const first = apex(...common, "--out", "a.jsonl", "--answer-key", "a.json");
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/wrote 4,000 saas records to a\.jsonl/);
    expect(apex(...common, "--out", "b.jsonl", "--answer-key", "b.json").status).toBe(0);
    const lines = readFileSync(join(dir, "a.jsonl"), "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(4000);
    for (const line of lines) expect(UsageRecordSchema.safeParse(JSON.parse(line)).success).toBe(true);
    expect(readFileSync(join(dir, "b.jsonl"), "utf8")).toBe(lines.join("\n") + "\n");
    expect(readFileSync(join(dir, "b.json"), "utf8")).toBe(readFileSync(join(dir, "a.json"), "utf8"));
    const key = readKey("a.json");
    expect(key.price_source).toMatch(/genai-prices/);
    expect(key.totals.unpriced_records).toBe(0);
    expect(key.opportunities.length).toBeGreaterThanOrEqual(7);
    const ids = new Set(lines.map((line) => (JSON.parse(line) as { id: string }).id));
    for (const o of key.opportunities) for (const id of o.record_ids) expect(ids.has(id)).toBe(true);
  });

  it("prices the answer key with a --prices override file", () => {
    const common = ["--scenario", "saas", "--records", "3000", "--days", "2", "--seed", "4"];
    expect(apex(...common, "--out", "c.jsonl", "--answer-key", "bundled.json").status).toBe(0);
    // gpt-4o made 10x dearer: the rightsizing savings (gpt-4o -> gpt-4.1-nano) must grow accordingly.
    writeFileSync(
      join(dir, "prices.json"),
      JSON.stringify({ "gpt-4o": { input_cost_per_token: 25e-6, output_cost_per_token: 100e-6, litellm_provider: "openai" } }),
    );
    expect(apex(...common, "--out", "d.jsonl", "--answer-key", "override.json", "--prices", "prices.json").status).toBe(0);
    const savings = (key: AnswerKey) =>
      key.opportunities.find((o) => o.kind === OpportunityKind.MODEL_RIGHTSIZING)?.observed_savings_usd ?? 0;
    expect(savings(readKey("override.json"))).toBeGreaterThan(9 * savings(readKey("bundled.json")));
    expect(readKey("override.json").price_source).toContain("prices.json");
  });

  it("writes clean traffic with an empty answer key", () => {
    expect(apex("--scenario", "clean", "--records", "500", "--seed", "1", "--out", "e.jsonl", "--answer-key", "e.json").status).toBe(0);
    expect(readKey("e.json").opportunities).toEqual([]);
  });

  it("rejects bad flags with a clear message and exit code 1", () => {
    const cases: [string[], RegExp][] = [
      [["--scenario", "retail", "--records", "5", "--seed", "1", "--out", "x.jsonl"], /Allowed choices are saas, clean/],
      [["--scenario", "saas", "--records", "-5", "--seed", "1", "--out", "x.jsonl"], /Records must be a whole number/],
      [["--scenario", "saas", "--records", "5", "--out", "x.jsonl"], /required option '--seed/],
      [["--scenario", "saas", "--records", "5", "--seed", "1", "--out", "x.jsonl", "--days", "0"], /Days must be a number above 0/],
      [["--scenario", "saas", "--records", "5", "--seed", "1", "--out", "x.jsonl", "--format", "openai"], /Allowed choices are canonical/],
      [["--scenario", "saas", "--records", "5", "--seed", "1", "--out", "no/such/dir/x.jsonl"], /Cannot write --out .*\[file_not_found\]/],
      [["--scenario", "saas", "--records", "5", "--seed", "1", "--out", "x.jsonl", "--start", "someday"], /is not a date.*\[invalid_parameters\]/],
    ];
    for (const [args, message] of cases) {
      const result = apex(...args);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(message);
    }
    writeFileSync(join(dir, "bad-prices.json"), JSON.stringify({ m: { input_cost_per_token: "cheap" } }));
    const badPrices = apex("--scenario", "saas", "--records", "5", "--seed", "1", "--out", "x.jsonl", "--prices", "bad-prices.json");
    expect(badPrices.status).toBe(1);
    expect(badPrices.stderr).toMatch(/input_cost_per_token must be a non-negative number.*\[invalid_config\]/);
  });
});
