import { execFile } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import { ReportSchema } from "../protocol/report.ts";

const BIN = join(import.meta.dirname, "../../bin/apex.js");
const dir = mkdtempSync(join(tmpdir(), "apex-analyze-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI in a child process, offline (no LLM) and with DATABASE_URL unset; resolves with its exit code and output. */
function apex(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, [EnvVar.DATABASE_URL]: undefined, [EnvVar.LLM_PROVIDER]: undefined, [EnvVar.PRICES_FILE]: undefined };
  return new Promise((resolve) => {
    execFile("node", [BIN, ...args], { cwd: dir, env: env as NodeJS.ProcessEnv, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  const gen = await apex(["generate", "--scenario", "saas", "--records", "3000", "--days", "10", "--seed", "5", "--out", "x.jsonl"]);
  expect(gen.code, gen.stderr).toBe(0);
}, 60_000);

describe("apex analyze", () => {
  it("--json prints exactly the report object; every evidence id is a record of the input", async () => {
    const result = await apex(["analyze", "--input", "x.jsonl", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = ReportSchema.strict().parse(JSON.parse(result.stdout));
    const ids = new Set(readFileSync(join(dir, "x.jsonl"), "utf8").trim().split("\n").map((line) => (JSON.parse(line) as { id: string }).id));
    expect(report.totals.calls).toBe(3000);
    expect(report.data_quality).toMatchObject({ records: 3000, rejected: 0 });
    expect(report.opportunities.length).toBeGreaterThan(0);
    for (const o of report.opportunities) for (const id of o.evidence.example_record_ids) expect(ids.has(id)).toBe(true);
    // Progress goes to stderr, so stdout stays parseable.
    expect(result.stderr).toContain("[triage]");
    expect(result.stderr).toContain("[report]");
  }, 60_000);

  it("prints a Markdown report with a direct answer to a question", async () => {
    const result = await apex(["analyze", "--input", "x.jsonl", "--question", "how much did kb search cost yesterday?"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^# Apex report\n\nThe kb_search feature cost \$[\d,.]+ from \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2} \("yesterday"\)/);
    expect(result.stdout).toContain("## Breakdowns");
  }, 60_000);

  it("counts a bad input line in data_quality with its line number and keeps the rest", async () => {
    const file = join(dir, "bad.jsonl");
    appendFileSync(file, `${readFileSync(join(dir, "x.jsonl"), "utf8").split("\n").slice(0, 50).join("\n")}\n`);
    appendFileSync(file, `${JSON.stringify({ id: "broken", timestamp: "2026-01-05T10:00:00Z", model: "gpt-4o", input_tokens: -5, output_tokens: 1 })}\n`);
    const result = await apex(["analyze", "--input", file, "--format", "canonical", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(result.stdout));
    expect(report.data_quality.rejected).toBe(1);
    expect(report.data_quality.records).toBe(50);
    expect(report.data_quality.warnings.some((w) => w.includes("line 51"))).toBe(true);
  }, 60_000);

  it("with an empty data directory tells how to export logs", async () => {
    const result = await apex(["analyze", "--data-dir", "empty", "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = ReportSchema.parse(JSON.parse(result.stdout));
    expect(report.totals.calls).toBe(0);
    expect(report.executive_summary).toContain("apex ingest");
    expect(result.stderr).toContain("[data_guide]");
  }, 60_000);

  it("fails clearly on a missing file, an empty question and an unknown format", async () => {
    const missing = await apex(["analyze", "--input", "nope.jsonl"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`[${ErrorCode.FILE_NOT_FOUND}]`);
    const empty = await apex(["analyze", "--input", "x.jsonl", "--question", "  "]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain(`[${ErrorCode.INVALID_REQUEST}]`);
    const format = await apex(["analyze", "--input", "x.jsonl", "--format", "nope"]);
    expect(format.code).toBe(1);
    expect(format.stderr).toMatch(/nope/);
  }, 60_000);
});
