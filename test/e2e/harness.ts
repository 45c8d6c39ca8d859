// The end-to-end harness: a real `apex serve` child process (PGlite, DuckDB and the in-process bus in a temporary data
// dir, whatever DATABASE_URL / REDIS_URL say, so a restart finds its own data and runs never share a database), the
// web UI built when missing or stale, and a real Chromium driven by playwright-core. Screenshots go to
// test/e2e/screenshots/. The server can be restarted on the same port and data dir mid-test.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, rmdir, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach } from "vitest";
import { EnvVar, RoutePath } from "../../src/protocol/names.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin/apex.js");
const VITE = join(ROOT, "node_modules/vite/bin/vite.js");
const WEB_SOURCES = [join(ROOT, "src/web"), join(ROOT, "vite.config.ts")];
const WEB_DIR = join(ROOT, "dist/web");
const BUILD_LOCK = join(ROOT, "dist/.web-build.lock");
const SCREENSHOTS = join(ROOT, "test/e2e/screenshots");
const CHROMIUM = "/usr/bin/chromium";
/** The flags of stack.md: no sandbox (CI runs as root), no GPU, nothing that reaches the network by itself. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 45_000;
/** One /ready probe: a server that accepted the connection but never answers must not stall the wait. */
const PROBE_TIMEOUT_MS = 5_000;
const BUILD_TIMEOUT_MS = 180_000;
const STALE_LOCK_MS = 5 * 60_000;
const OUTPUT_KEPT_CHARS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The newest modification time under the given files and directories (0 when none exist). */
async function newestChange(paths: readonly string[]): Promise<number> {
  let newest = 0;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const info = await stat(path);
    if (info.isDirectory()) {
      const entries = await readdir(path);
      newest = Math.max(newest, await newestChange(entries.map((entry) => join(path, entry))));
    } else {
      newest = Math.max(newest, info.mtimeMs);
    }
  }
  return newest;
}

async function buildIsCurrent(): Promise<boolean> {
  const index = join(WEB_DIR, "index.html");
  return existsSync(index) && (await stat(index)).mtimeMs >= (await newestChange(WEB_SOURCES));
}

function run(command: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => (output = (output + String(chunk)).slice(-OUTPUT_KEPT_CHARS));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}

/**
 * Builds the web UI (`vite build` into dist/web/) unless the build is newer than every source. E2E files run in
 * parallel workers: a lock directory lets one build while the others wait for it, then find the build current.
 */
async function ensureWebBuild(): Promise<void> {
  await mkdir(join(ROOT, "dist"), { recursive: true });
  for (;;) {
    if (await buildIsCurrent()) return;
    try {
      await mkdir(BUILD_LOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // A lock left by a killed build would block every later run.
      const age = Date.now() - (await stat(BUILD_LOCK).then((s) => s.mtimeMs, () => Date.now()));
      if (age > STALE_LOCK_MS) await rmdir(BUILD_LOCK).catch(() => undefined);
      await sleep(500);
      continue;
    }
    try {
      if (!(await buildIsCurrent())) await run(process.execPath, [VITE, "build", "--logLevel", "warn"], BUILD_TIMEOUT_MS);
      return;
    } finally {
      await rmdir(BUILD_LOCK);
    }
  }
}

/** A port nobody listens on now, so a restarted server can come back on the same URL. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface ApexProcess {
  url: string;
  dataDir: string;
  /** What the server printed so far (the tail), for failure messages. */
  output(): string;
  /** Stops the server (SIGTERM: a graceful drain; SIGKILL: a crash) and starts it again on the same port and data. */
  restart(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  stop(): Promise<void>;
}

/** `apex serve` as an operator runs it, on a free port and a fresh data dir; resolves once /ready answers 200. */
async function startApex(extraEnv: Record<string, string> = {}): Promise<ApexProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), "apex-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, [EnvVar.LOG_LEVEL]: "warn", [EnvVar.WEB_DIR]: WEB_DIR, ...extraEnv };
  for (const name of [EnvVar.DATABASE_URL, EnvVar.REDIS_URL, EnvVar.JWT_SECRET]) if (!(name in extraEnv)) delete env[name];
  let output = "";
  let child: ChildProcessByStdio<null, Readable, Readable> | undefined;

  const launch = async () => {
    const started = spawn(process.execPath, [BIN, "serve", "--port", String(port), "--data-dir", dataDir], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    const keep = (chunk: Buffer) => (output = (output + String(chunk)).slice(-OUTPUT_KEPT_CHARS));
    started.stdout.on("data", keep);
    started.stderr.on("data", keep);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) throw new Error(`apex serve exited with ${started.exitCode}:\n${output}`);
      const ready = await fetch(url + RoutePath.READY, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).then((r) => r.status === 200, () => false);
      if (ready) return;
      await sleep(200);
    }
    throw new Error(`apex serve did not answer ${RoutePath.READY} within ${READY_TIMEOUT_MS} ms:\n${output}`);
  };

  const halt = async (signal: "SIGTERM" | "SIGKILL") => {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill(signal);
    // A graceful stop is bounded by the run deadline plus the HTTP grace; past this one something holds the process.
    const late = await Promise.race([exited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
    if (!late) return;
    running.kill("SIGKILL");
    await exited;
    throw new Error(`apex serve did not exit within ${STOP_TIMEOUT_MS} ms of ${signal}; killed it:\n${output}`);
  };

  try {
    await launch();
  } catch (error) {
    await halt("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    dataDir,
    output: () => output,
    restart: async (signal = "SIGTERM") => {
      await halt(signal);
      await launch();
    },
    stop: async () => {
      await halt("SIGTERM");
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface E2e {
  server: ApexProcess;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors of the page, in order: a test can require none. */
  pageErrors: Error[];
  /** Saves a full-page PNG to test/e2e/screenshots/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Where a test's artifact named `file` goes: test/e2e/screenshots/ (git-ignored), the name made safe. */
export function e2eOutput(file: string): string {
  return join(SCREENSHOTS, file.replace(/[^A-Za-z0-9._-]/g, "-"));
}

/** Chromium from the system (never a downloaded one), headless with the flags of stack.md. */
function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Everything a browser test needs: the web UI built, a server, Chromium and a page at the server's URL. */
export async function startE2e(extraEnv: Record<string, string> = {}): Promise<E2e> {
  await ensureWebBuild();
  const server = await startApex(extraEnv);
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const pageErrors: Error[] = [];
    page.on("pageerror", (error) => pageErrors.push(error));
    await mkdir(SCREENSHOTS, { recursive: true });
    const opened = browser;
    return {
      server,
      browser: opened,
      context,
      page,
      pageErrors,
      screenshot: async (name) => {
        const path = e2eOutput(`${name}.png`);
        await page.screenshot({ path, fullPage: true });
        return path;
      },
      close: async () => {
        await opened.close();
        await server.stop();
      },
    };
  } catch (error) {
    await browser?.close();
    await server.stop();
    throw error;
  }
}

/** The hooks a browser file needs after `startE2e`: a screenshot of the page when a test fails, then the cleanup. */
export function afterE2e(current: () => E2e | undefined): void {
  afterEach(async (context) => {
    if (context.task.result?.state === "fail") await current()?.screenshot(`failed-${context.task.name}`);
  });
  afterAll(async () => {
    await current()?.close();
  });
}
