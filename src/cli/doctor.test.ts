import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvVar } from "../protocol/names.ts";
import { storeTargets } from "../store/disposable-database.ts";
import type { DoctorCheck } from "./doctor-check.ts";
import { runDoctorChecks } from "./doctor-checks.ts";

const APEX = fileURLToPath(new URL("../../bin/apex.js", import.meta.url));
const SECRET = "s3cret-never-shown";
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "apex-doctor-"));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** The checks over exactly `env` (never the test process's own DATABASE_URL or REDIS_URL). */
async function doctor(env: Record<string, string> = {}): Promise<Map<string, DoctorCheck>> {
  const checks = await runDoctorChecks({ [EnvVar.DATA_DIR]: dataDir, ...env });
  expect(JSON.stringify(checks)).not.toContain(SECRET);
  return new Map(checks.map((check) => [check.name, check]));
}

function check(checks: Map<string, DoctorCheck>, name: string): DoctorCheck {
  const found = checks.get(name);
  if (found === undefined) throw new Error(`no ${name} check in ${[...checks.keys()].join(", ")}`);
  return found;
}

describe("apex doctor checks", () => {
  it("passes the healthy embedded setup and does not open the store", async () => {
    const checks = await doctor();
    expect([...checks.values()].filter((found) => found.status !== "ok")).toEqual([]);
    expect(check(checks, "database").detail).toContain(join(dataDir, "store"));
    expect(check(checks, "bus").detail).toContain("in-process bus (single node");
    expect(check(checks, "LLM provider").detail).toMatch(/^offline/);
    expect(check(checks, "price table").detail).toMatch(/bundled @pydantic\/genai-prices \d+\.\d+\.\d+/);
    await expect(stat(join(dataDir, "store"))).rejects.toThrow(/ENOENT/);
  });

  it("measures an existing embedded store without opening it", async () => {
    const store = join(dataDir, "store");
    await mkdir(join(store, "base"), { recursive: true });
    await writeFile(join(store, "base", "page"), Buffer.alloc(2048));
    try {
      const found = check(await doctor(), "database");
      expect(found).toMatchObject({ status: "ok" });
      expect(found.detail).toContain(`in ${store}, 2.0 KiB; not opened`);
    } finally {
      await rm(store, { recursive: true });
    }
  });

  it("creates a missing data directory only to prove it can, then removes it", async () => {
    const missing = join(dataDir, "not", "yet");
    const found = check(await doctor({ [EnvVar.DATA_DIR]: missing }), "data directory");
    expect(found).toMatchObject({ status: "ok" });
    expect(found.detail).toContain("can be created");
    await expect(stat(join(dataDir, "not"))).rejects.toThrow(/ENOENT/);
  });

  it("reports a stopped PostgreSQL as a failure with the fix, without its password", async () => {
    const found = check(await doctor({ [EnvVar.DATABASE_URL]: `postgres://postgres:${SECRET}@127.0.0.1:1/test` }), "database");
    expect(found.status).toBe("fail");
    expect(found.detail).toContain(`cannot connect to PostgreSQL at 127.0.0.1:1 — is it running? check ${EnvVar.DATABASE_URL}`);
    expect(found.fix).toContain(EnvVar.DATABASE_URL);
  }, 10_000);

  it("reports an unreachable Redis as a failure with host:port and the fix", async () => {
    const found = check(await doctor({ [EnvVar.REDIS_URL]: `redis://:${SECRET}@127.0.0.1:1` }), "bus");
    expect(found.status).toBe("fail");
    expect(found.detail).toContain(`cannot connect to Redis at 127.0.0.1:1 — is it running? check ${EnvVar.REDIS_URL}`);
    expect(found.fix).toContain(EnvVar.REDIS_URL);
  }, 10_000);

  it("names every bad variable of the configuration", async () => {
    const found = check(await doctor({ [EnvVar.PORT]: "abc", [EnvVar.HEARTBEAT_MS]: "5" }), "configuration");
    expect(found.status).toBe("fail");
    expect(found.detail).toContain(EnvVar.PORT);
    expect(found.detail).toContain(EnvVar.HEARTBEAT_MS);
    expect(found.fix).toContain("docs/configuration.md");
  });

  it("fails a guessable JWT secret (32×\"a\") and warns of a weak one, never printing either", async () => {
    const guessable = "a".repeat(32);
    const refused = check(await doctor({ [EnvVar.JWT_SECRET]: guessable }), "configuration");
    expect(refused.status).toBe("fail");
    expect(refused.detail).toContain(`${EnvVar.JWT_SECRET}: too guessable`);
    expect(refused.detail).not.toContain(guessable);
    const weak = "abcdefghabcdefghabcdefghabcdefgh";
    const warned = check(await doctor({ [EnvVar.JWT_SECRET]: weak }), "configuration");
    expect(warned).toMatchObject({ status: "warn", fix: expect.stringContaining("openssl rand") });
    expect(warned.detail).toContain(`${EnvVar.JWT_SECRET} looks guessable`);
    expect(warned.detail).not.toContain(weak);
  });

  it("checks the price override file's readability and age", async () => {
    const file = join(dataDir, "prices.json");
    await writeFile(file, JSON.stringify({ "my-model": { input_cost_per_token: 2e-6, output_cost_per_token: 8e-6 } }));
    expect(check(await doctor({ [EnvVar.PRICES_FILE]: file }), "price table").status).toBe("ok");
    const old = new Date(Date.now() - 100 * 86_400_000);
    await utimes(file, old, old);
    const stale = check(await doctor({ [EnvVar.PRICES_FILE]: file }), "price table");
    expect(stale).toMatchObject({ status: "warn" });
    expect(stale.detail).toContain("older than 90 days");
    await writeFile(file, "{ not json");
    expect(check(await doctor({ [EnvVar.PRICES_FILE]: file }), "price table").status).toBe("fail");
  });

  describe("a configured LLM provider", () => {
    let server: Server;
    let baseURL: string;
    beforeAll(async () => {
      // An OpenAI-compatible endpoint that serves one model, as llama.cpp or vLLM would.
      server = createServer((_request, response) => {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ object: "list", data: [{ id: "local-model", object: "model", created: 0, owned_by: "me" }] }));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const llm = (model: string, url: string) => ({
      [EnvVar.LLM_PROVIDER]: "openai",
      [EnvVar.LLM_BASE_URL]: url,
      [EnvVar.LLM_MODEL]: model,
      [EnvVar.LLM_API_KEY]: SECRET,
    });

    it("is checked with a real call", async () => {
      expect(check(await doctor(llm("local-model", baseURL)), "LLM provider")).toMatchObject({ status: "ok" });
      const missing = check(await doctor(llm("other-model", baseURL)), "LLM provider");
      expect(missing.status).toBe("fail");
      expect(missing.detail).toContain("local-model");
      expect(check(await doctor(llm("local-model", "http://127.0.0.1:1/v1")), "LLM provider").status).toBe("fail");
    }, 20_000);
  });

  describe.runIf(process.env[EnvVar.DATABASE_URL])("the real PostgreSQL of DATABASE_URL", () => {
    it("passes with every migration applied, and warns of a pending one", async () => {
      const target = storeTargets().find((candidate) => candidate.name === "postgres");
      const disposable = await target?.create();
      if (disposable?.url === undefined) throw new Error("DATABASE_URL is set but no PostgreSQL target was made");
      try {
        const applied = check(await doctor({ [EnvVar.DATABASE_URL]: disposable.url }), "database");
        expect(applied.status).toBe("ok");
        expect(applied.detail).toMatch(/all \d+ migrations applied/);
        const client = new pg.Client({ connectionString: disposable.url });
        await client.connect();
        await client.query(`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`);
        await client.end();
        const pending = check(await doctor({ [EnvVar.DATABASE_URL]: disposable.url }), "database");
        expect(pending).toMatchObject({ status: "warn", fix: "start apex serve once to apply them" });
        expect(pending.detail).toContain("pending: 1");
      } finally {
        await disposable.drop();
      }
    });
  });

  describe.runIf(process.env[EnvVar.REDIS_URL])("the real Redis of REDIS_URL", () => {
    it("answers PING", async () => {
      const found = check(await doctor({ [EnvVar.REDIS_URL]: process.env[EnvVar.REDIS_URL] ?? "" }), "bus");
      expect(found).toMatchObject({ status: "ok" });
      expect(found.detail).toContain("answers PING");
    });
  });
});

describe("apex doctor as a process", () => {
  function run(env: Record<string, string>, ...args: string[]) {
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.values(EnvVar)) delete base[name];
    const result = spawnSync(process.execPath, [APEX, "doctor", "--data-dir", dataDir, ...args], { encoding: "utf8", env: { ...base, ...env }, timeout: 60_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it("exits 0 on the healthy embedded setup, with JSON on request", () => {
    const result = run({}, "--json");
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: DoctorCheck[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((found) => found.name)).toEqual(["configuration", "data directory", "database", "bus", "LLM provider", "price table"]);
  }, 60_000);

  it("exits 1 and prints the failing checks with their fixes", () => {
    const result = run({ [EnvVar.PORT]: "abc", [EnvVar.REDIS_URL]: "redis://127.0.0.1:1" });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^fail\\s+configuration\\s+.*${EnvVar.PORT}`, "m"));
    expect(result.stdout).toMatch(/^fail\s+bus\s+cannot connect to Redis at 127\.0\.0\.1:1/m);
    expect(result.stdout).toMatch(/^\s+fix: start Redis/m);
    expect(result.stdout).toContain("apex doctor: 2 failed");
  }, 60_000);
});
