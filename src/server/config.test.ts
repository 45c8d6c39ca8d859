import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import { jwtSecretWarning, loadServerConfig, parseServerConfig } from "./config.ts";

let dataDir = "";
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "apex-config-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe("server configuration", () => {
  it("starts from the embedded defaults", () => {
    const config = parseServerConfig({});
    expect(config).toMatchObject({ port: 3000, host: "127.0.0.1", frameLimitBytes: 65_536, maxConcurrentRuns: 2 });
    expect(config.dataDir.endsWith(".apex")).toBe(true);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
  });

  it("reads the env, and flags win over it", () => {
    const env = { [EnvVar.PORT]: "4000", [EnvVar.HOST]: "0.0.0.0", [EnvVar.HEARTBEAT_MS]: "5000", [EnvVar.DATABASE_URL]: "" };
    expect(parseServerConfig(env)).toMatchObject({ port: 4000, host: "0.0.0.0", heartbeatMs: 5000 });
    expect(parseServerConfig(env).databaseUrl).toBeUndefined();
    expect(parseServerConfig(env, { port: "0", dataDir })).toMatchObject({ port: 0, dataDir });
  });

  it("names every bad variable in one invalid_config error", () => {
    const attempt = () => parseServerConfig({ [EnvVar.PORT]: "eighty", [EnvVar.MAX_CONCURRENT_RUNS]: "0", [EnvVar.JWT_SECRET]: "short" });
    expect(attempt).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_CONFIG }));
    for (const name of [EnvVar.PORT, EnvVar.MAX_CONCURRENT_RUNS, EnvVar.JWT_SECRET]) expect(attempt).toThrow(name);
    expect(attempt).not.toThrow("short"); // a secret is never echoed
    expect(() => parseServerConfig({}, { port: "70000" })).toThrow(/APEX_PORT \(or --port\)/);
    expect(() => parseServerConfig({ [EnvVar.ADMIN_EMAIL]: "a@example.com" })).toThrow(new RegExp(EnvVar.ADMIN_PASSWORD));
  });

  it("generates the token secret once, 0600, and keeps it across restarts; the env's secret wins", async () => {
    const first = await loadServerConfig({}, { dataDir });
    const file = join(dataDir, "jwt-secret");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, "utf8")).trim()).toBe(first.jwtSecret);
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect((await loadServerConfig({}, { dataDir })).jwtSecret).toBe(first.jwtSecret);
    const fromEnv = randomBytes(30).toString("base64url");
    expect((await loadServerConfig({ [EnvVar.JWT_SECRET]: fromEnv }, { dataDir })).jwtSecret).toBe(fromEnv);
  });

  it("refuses a guessable token secret (32×\"a\", a short pattern repeated) and warns of a weak one", () => {
    for (const guessable of ["a".repeat(32), "ab".repeat(20), "password".repeat(4)]) {
      expect(() => parseServerConfig({ [EnvVar.JWT_SECRET]: guessable })).toThrow(new RegExp(`${EnvVar.JWT_SECRET}: too guessable`));
    }
    const weak = "abcdefghabcdefghabcdefghabcdefgh"; // 8 distinct characters: ~96 bits by their spread
    expect(parseServerConfig({ [EnvVar.JWT_SECRET]: weak }).jwtSecret).toBe(weak);
    expect(jwtSecretWarning(weak)).toMatch(new RegExp(`${EnvVar.JWT_SECRET} looks guessable`));
    for (let i = 0; i < 20; i += 1) {
      expect(jwtSecretWarning(randomBytes(16).toString("hex"))).toBeUndefined(); // openssl rand -hex 16
      expect(jwtSecretWarning(randomBytes(48).toString("base64url"))).toBeUndefined();
    }
  });

  it("refuses a weak APEX_ADMIN_PASSWORD, naming the variable", () => {
    const admin = (password: string) => parseServerConfig({ [EnvVar.ADMIN_EMAIL]: "root@example.com", [EnvVar.ADMIN_PASSWORD]: password });
    for (const weak of ["password12", "password1234", "qwertyuiop12", "shortone"]) {
      expect(() => admin(weak)).toThrow(new RegExp(`^${EnvVar.ADMIN_PASSWORD}: `));
    }
    expect(admin("violet kettle drums").adminPassword).toBe("violet kettle drums");
  });

  it("refuses a secret file too short to sign with", async () => {
    await writeFile(join(dataDir, "jwt-secret"), "tiny\n");
    await expect(loadServerConfig({}, { dataDir })).rejects.toMatchObject({ code: ErrorCode.INVALID_CONFIG });
  });
});
