import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type AnswerKey, AnswerKeySchema } from "../analytics/generator/answer-key.ts";
import { sha256Hex } from "../analytics/formats/stable-id.ts";
import { openUsageReader } from "../analytics/read-usage.ts";
import { UsageRecordSchema } from "../analytics/record.ts";
import { EnvVar, OpportunityKind } from "../protocol/names.ts";

const APEX = fileURLToPath(new URL("../../bin/apex.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "apex-generate-"));
/** Twenty `apex` processes one after another: on a loaded 2-core machine that exceeds vitest's default 30 s. */
const SPAWNS_TIMEOUT_MS = 180_000;

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env[EnvVar.PRICES_FILE]; // the bundled table unless a test passes --prices
  delete env[EnvVar.DATABASE_URL]; // ingest into DuckDB under the test's data directory
  const result = spawnSync(process.execPath, [APEX, ...args], { encoding: "utf8", cwd: dir, env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const apex = (...args: string[]) => run("generate", ...args);

interface IngestedFile {
  format: string;
  records_read: number;
  ingested: number;
  duplicates: number;
  rejected: number;
}

/** `apex ingest --format auto --json` of one file into a data directory of the test. */
function ingest(file: string, dataDir: string): IngestedFile {
  const result = run("ingest", file, "--format", "auto", "--data-dir", dataDir, "--json");
  expect(result.status, result.stderr).toBe(0);
  const summary = JSON.parse(result.stdout) as { files: IngestedFile[] };
  return summary.files[0] as IngestedFile;
}

async function idsReadBack(file: string): Promise<string[]> {
  const reader = await openUsageReader(join(dir, file), { format: "auto" });
  const ids: string[] = [];
  for await (const item of reader.items) if (item.kind === "record") ids.push(item.record.id);
  return ids;
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
      [["--scenario", "saas", "--records", "5", "--seed", "1", "--out", "x.jsonl", "--format", "nope"], /Allowed choices are otel, openai-usage/],
      [
        ["--scenario", "saas", "--records", "5", "--seed", "1", "--out", "x.jsonl", "--format", "mooncake"],
        /Cannot write the mooncake format: .*no id or model.*write canonical or a provider format instead.*\[invalid_parameters\]/,
      ],
      [
        ["--scenario", "saas", "--records", "5", "--seed", "1", "--out", "x.jsonl", "--format", "openai-usage"],
        /Usage API buckets add up many calls .*keep none of their ids; write openai .*\[invalid_parameters\]/,
      ],
      [
        ["--scenario", "saas", "--records", "5", "--seed", "1", "--out", "x.csv", "--format", "otel"],
        /otel format is written as JSON Lines only; CSV is written for litellm, canonical.*\[invalid_parameters\]/,
      ],
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

  describe("--format: any per-call ingest format, read back by apex ingest --format auto", () => {
    const common = ["--scenario", "saas", "--records", "2000", "--days", "2", "--seed", "21"];
    const generated = (file: string, format: string) => {
      const result = apex(...common, "--format", format, "--out", file, "--answer-key", `${file}.key.json`);
      expect(result.status, result.stderr).toBe(0);
      return result;
    };

    it("gives the canonical count and ids in every format that keeps ids, with the same answer key", () => {
      generated("base.jsonl", "canonical");
      expect(ingest("base.jsonl", "formats-data")).toMatchObject({ format: "canonical", ingested: 2000, rejected: 0 });
      const baseKey = readFileSync(join(dir, "base.jsonl.key.json"), "utf8");
      const cases: [string, string][] = [
        ["openai", "openai.jsonl"],
        ["anthropic", "anthropic.jsonl"],
        ["litellm", "litellm.jsonl"],
        ["litellm", "litellm.csv"],
        ["langfuse", "langfuse.jsonl"],
        ["helicone", "helicone.jsonl"],
        ["canonical", "canonical.csv"],
      ];
      for (const [format, file] of cases) {
        const result = generated(file, format);
        expect(result.stderr).toMatch(new RegExp(`wrote 2,000 saas records to ${file.replace(".", "\\.")} \\(${format}, `));
        // Same owner and corpus: records are keyed by id, so "all 2,000 already stored" means the very same ids.
        expect(ingest(file, "formats-data"), `${format} ${file}`).toMatchObject({
          format,
          records_read: 2000,
          ingested: 0,
          duplicates: 2000,
          rejected: 0,
        });
        expect(readFileSync(join(dir, `${file}.key.json`), "utf8")).toBe(baseKey);
      }
      expect(readFileSync(join(dir, "litellm.csv"), "utf8")).toMatch(/^request_id,call_type,/);
    }, SPAWNS_TIMEOUT_MS);

    it("writes OTLP/JSON with hex span ids and an answer key naming those ids", async () => {
      generated("otel-base.jsonl", "canonical");
      generated("otel.jsonl", "otel");
      expect(ingest("otel.jsonl", "otel-data")).toMatchObject({ format: "otel", ingested: 2000, rejected: 0 });
      const ids = await idsReadBack("otel.jsonl");
      expect(new Set(ids).size).toBe(2000);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/);
      const base = AnswerKeySchema.parse(JSON.parse(readFileSync(join(dir, "otel-base.jsonl.key.json"), "utf8")));
      const key = readKey("otel.jsonl.key.json");
      const known = new Set(ids);
      expect(base.opportunities.length).toBeGreaterThan(0);
      expect(key.opportunities.length).toBe(base.opportunities.length);
      key.opportunities.forEach((o, i) => {
        const before = base.opportunities[i]?.record_ids ?? [];
        expect(o.record_ids).toEqual(before.map((id) => sha256Hex(id).slice(0, 16)));
        for (const id of o.record_ids) expect(known.has(id)).toBe(true);
      });
    });
  });
});
