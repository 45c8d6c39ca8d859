// Accounts from outside the HTTP API: `apex user create` (a child process, like an operator runs it) and the first
// admin from APEX_ADMIN_EMAIL / APEX_ADMIN_PASSWORD at start-up. Both must be able to sign in to the server.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvVar, ErrorCode, Role, RoutePath } from "../../src/protocol/names.ts";
import { buildApp } from "../../src/server/app.ts";
import { loadServerConfig } from "../../src/server/config.ts";
import { UserRepository } from "../../src/store/users.ts";
import { get, post } from "./test-server.ts";

const BIN = join(import.meta.dirname, "../../bin/apex.js");
let dataDir = "";

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "apex-accounts-"));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** `apex` as an operator runs it, on the embedded store (never the shared DATABASE_URL of the test run). */
function apex(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env[EnvVar.DATABASE_URL];
  const child = spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8", timeout: 60_000 });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

async function serverOn(dir: string, env: Record<string, string> = {}) {
  const app = await buildApp(await loadServerConfig({ [EnvVar.DATA_DIR]: dir, [EnvVar.LOG_LEVEL]: "silent", ...env }, { port: 0 }));
  return { app, url: await app.fastify.listen({ port: 0, host: "127.0.0.1" }) };
}

describe("apex user create", () => {
  it("creates an account the server signs in, refuses a taken email and a weak password", async () => {
    const dir = join(dataDir, "cli");
    const created = apex(["user", "create", "--email", "Ops@Example.com", "--password", "ops-password-1", "--role", Role.ADMIN, "--data-dir", dir, "--json"]);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ email: "ops@example.com", role: Role.ADMIN, id: expect.any(String) });
    const again = apex(["user", "create", "--email", "ops@example.com", "--password", "ops-password-2", "--data-dir", dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(ErrorCode.EMAIL_TAKEN);
    const weak = apex(["user", "create", "--email", "x@example.com", "--password", "password12", "--data-dir", dir]);
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain(ErrorCode.WEAK_PASSWORD);

    const { app, url } = await serverOn(dir);
    try {
      expect((await get(url + RoutePath.SETUP)).body).toEqual({ setup_required: false });
      const login = await post(url + RoutePath.AUTH_LOGIN, { email: "ops@example.com", password: "ops-password-1" });
      expect(login.status).toBe(200);
      expect(typeof login.body.token).toBe("string");
    } finally {
      await app.close();
    }
  }, 60_000);
});

describe("the first admin from the environment", () => {
  it("is created on a store with no account, and never again once one exists", async () => {
    const dir = join(dataDir, "env");
    // A weak APEX_ADMIN_PASSWORD stops the start, naming the variable, before any account exists.
    await expect(serverOn(dir, { [EnvVar.ADMIN_EMAIL]: "root@example.com", [EnvVar.ADMIN_PASSWORD]: "password12" })).rejects.toMatchObject({
      code: ErrorCode.INVALID_CONFIG,
      message: expect.stringContaining(EnvVar.ADMIN_PASSWORD),
    });
    const first = await serverOn(dir, { [EnvVar.ADMIN_EMAIL]: "root@example.com", [EnvVar.ADMIN_PASSWORD]: "root-password-1" });
    try {
      expect((await post(first.url + RoutePath.AUTH_LOGIN, { email: "root@example.com", password: "root-password-1" })).status).toBe(200);
      expect((await post(first.url + RoutePath.SETUP, { email: "late@example.com", password: "late-password-1" })).status).toBe(403);
    } finally {
      await first.app.close();
    }
    const second = await serverOn(dir, { [EnvVar.ADMIN_EMAIL]: "other@example.com", [EnvVar.ADMIN_PASSWORD]: "other-password-1" });
    try {
      const users = await new UserRepository(second.app.database.db).list();
      expect(users.map((u) => [u.email, u.role])).toEqual([["root@example.com", Role.ADMIN]]);
    } finally {
      await second.app.close();
    }
  }, 60_000);
});
