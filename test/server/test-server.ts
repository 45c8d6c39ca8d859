import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvVar, RoutePath } from "../../src/protocol/names.ts";
import { buildApp, type ApexApp } from "../../src/server/app.ts";
import { loadServerConfig } from "../../src/server/config.ts";
import type { StoreTarget } from "../../src/store/disposable-database.ts";
import type { TracingOptions } from "../../src/telemetry/tracing.ts";

// A real server for the tests, on port 0: PGlite in a temporary data dir, or a disposable PostgreSQL database (and
// Redis when REDIS_URL is set) for the postgres target.

export interface TestServer {
  app: ApexApp;
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export async function startServer(target: StoreTarget, extraEnv: Record<string, string> = {}, tracing: TracingOptions = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "apex-server-"));
  const disposable = target.name === "postgres" ? await target.create() : undefined;
  const env: Record<string, string | undefined> = {
    [EnvVar.DATA_DIR]: dataDir,
    [EnvVar.LOG_LEVEL]: "silent",
    [EnvVar.DATABASE_URL]: disposable?.url,
    [EnvVar.REDIS_URL]: disposable === undefined ? undefined : process.env[EnvVar.REDIS_URL],
    ...extraEnv,
  };
  const app = await buildApp(await loadServerConfig(env, { port: 0 }), tracing);
  const url = await app.fastify.listen({ port: 0, host: "127.0.0.1" });
  return {
    app,
    url,
    dataDir,
    stop: async () => {
      await app.close();
      await disposable?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SignedIn {
  server: TestServer;
  userId: string;
  token: string;
}

/** A server with one account, signed in. */
export async function startSignedIn(
  target: StoreTarget,
  user: { email: string; password: string },
  extraEnv: Record<string, string> = {},
  tracing: TracingOptions = {},
): Promise<SignedIn> {
  const server = await startServer(target, extraEnv, tracing);
  const userId = (await server.app.auth.createUser(user.email, user.password)).id;
  const token = String((await post(server.url + RoutePath.AUTH_LOGIN, user)).body.token);
  return { server, userId, token };
}

export function post(url: string, body: unknown, token?: string): Promise<Reply> {
  return send("POST", url, body, token);
}

export function patch(url: string, body: unknown, token?: string): Promise<Reply> {
  return send("PATCH", url, body, token);
}

async function send(method: string, url: string, body: unknown, token?: string): Promise<Reply> {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function get(url: string, token?: string): Promise<Reply> {
  const response = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
