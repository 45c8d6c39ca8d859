// `apex serve` as a real process on the embedded defaults: it prints its URL, answers /health and /ready, and exits
// cleanly on SIGTERM.
import { spawn } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { EnvVar, RoutePath } from "../../src/protocol/names.ts";

it("starts, answers /health and /ready, keeps its secret private, and stops on SIGTERM", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "apex-serve-"));
  const env: NodeJS.ProcessEnv = { ...process.env, [EnvVar.LOG_LEVEL]: "warn" };
  delete env[EnvVar.DATABASE_URL];
  delete env[EnvVar.REDIS_URL];
  delete env[EnvVar.JWT_SECRET];
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--port", "0", "--data-dir", dataDir], { env });
  try {
    let output = "";
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s: ${output}`)), 60_000);
      child.stdout.on("data", (chunk: Buffer) => {
        output += String(chunk);
        const found = /listening on (http:\/\/\S+)/.exec(output);
        if (found?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(found[1]);
        }
      });
      child.stderr.on("data", (chunk: Buffer) => (output += String(chunk)));
      child.on("exit", (code) => reject(new Error(`apex serve exited with ${code}: ${output}`)));
    });
    expect(output).toContain(RoutePath.SETUP);
    expect(await (await fetch(url + RoutePath.HEALTH)).json()).toEqual({ status: "ok" });
    expect(await (await fetch(url + RoutePath.READY)).json()).toEqual({ status: "ready", database: true, usage_store: true, bus: true });
    expect((await stat(join(dataDir, "jwt-secret"))).mode & 0o777).toBe(0o600);
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  }
}, 90_000);
