import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openUsageStore } from "../analytics/open-usage-store.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";

const run = promisify(execFile);
const BIN = join(import.meta.dirname, "../../bin/apex.js");
const dir = mkdtempSync(join(tmpdir(), "apex-ingest-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI in a child process, with DATABASE_URL unset (DuckDB) unless given. */
async function apex(args: string[], env: Record<string, string | undefined> = {}) {
  const childEnv = { ...process.env, [EnvVar.DATABASE_URL]: undefined, ...env };
  try {
    const { stdout, stderr } = await run("node", [BIN, ...args], { cwd: dir, env: childEnv as NodeJS.ProcessEnv });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("apex generate + apex ingest", () => {
  it("ingests a generated log into DuckDB, and a second ingest leaves the count unchanged", async () => {
    const gen = await apex(["generate", "--scenario", "saas", "--records", "3000", "--seed", "1", "--out", "x.jsonl", "--answer-key", "key.json"]);
    expect(gen.code).toBe(0);
    const first = await apex(["ingest", "x.jsonl", "--data-dir", "data", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout) as { engine: string; files: { ingested: number; rejected: number; format: string }[] };
    expect(summary.engine).toBe("duckdb");
    expect(summary.files[0]).toMatchObject({ format: "canonical", ingested: 3000, rejected: 0 });

    const second = await apex(["ingest", "x.jsonl", "--data-dir", "data"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/3,000 records read, 0 ingested, 3,000 already stored, 0 rejected/);
    const store = await openUsageStore({ dataDir: join(dir, "data") });
    try {
      expect(await store.count({ owner: "local" })).toBe(3000);
    } finally {
      await store.close();
    }
  });

  it("reports a bad line with its number and keeps the rest", async () => {
    writeFileSync(
      join(dir, "mixed.jsonl"),
      [
        JSON.stringify({ id: "r1", timestamp: "2026-01-01T00:00:00Z", model: "gpt-4o", input_tokens: 10, output_tokens: 5 }),
        JSON.stringify({ id: "r2", timestamp: "2026-01-01T00:00:00Z", model: "gpt-4o", input_tokens: -1, output_tokens: 5 }),
        JSON.stringify({ id: "r3", timestamp: "2026-01-01T00:00:00Z", model: "no-such-model-x", input_tokens: 10, output_tokens: 5 }),
      ].join("\n"),
    );
    const result = await apex(["ingest", "mixed.jsonl", "--data-dir", "data2", "--format", "canonical"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/2 records read, 2 ingested, 0 already stored, 1 rejected/);
    expect(result.stdout).toMatch(/line 2: .*input_tokens/);
    expect(result.stdout).toMatch(/1 records of models with no price: no-such-model-x/);
  });

  it("fails clearly on a missing file and on an unknown format", async () => {
    const missing = await apex(["ingest", "nope.jsonl", "--data-dir", "data3"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`nope.jsonl does not exist`);
    expect(missing.stderr).toContain(`[${ErrorCode.FILE_NOT_FOUND}]`);
    writeFileSync(join(dir, "weird.jsonl"), `${JSON.stringify({ hello: "world" })}\n`);
    const unknown = await apex(["ingest", "weird.jsonl", "--data-dir", "data3"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`[${ErrorCode.UNKNOWN_FORMAT}]`);
    expect(unknown.stderr).toMatch(/openai.*anthropic/s);
  });

  it.skipIf(!process.env[EnvVar.DATABASE_URL])("ingests into PostgreSQL when DATABASE_URL is set, idempotently", async () => {
    const owner = `cli-test-${process.pid}-${Date.now()}`;
    const url = process.env[EnvVar.DATABASE_URL];
    const first = await apex(["ingest", "x.jsonl", "--owner", owner, "--json"], { [EnvVar.DATABASE_URL]: url });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ engine: "postgres", files: [{ ingested: 3000 }] });
    const second = await apex(["ingest", "x.jsonl", "--owner", owner, "--json"], { [EnvVar.DATABASE_URL]: url });
    expect(JSON.parse(second.stdout)).toMatchObject({ files: [{ ingested: 0, duplicates: 3000 }] });
    const store = await openUsageStore({ databaseUrl: url });
    try {
      expect(await store.count({ owner })).toBe(3000);
      expect(await store.deleteCorpus(owner, "default")).toBe(3000);
    } finally {
      await store.close();
    }
  });
});
