// Server benchmark (issue 6): the real server (buildApp) on loopback, its clients in a forked process
// (bench/server-clients.ts). Three figures: fan-out of live runs to 1,000 sockets (events/s delivered, latency from emit
// to arrival; with runs written through the server's own event log, and with real pipeline runs), memory per idle
// authenticated socket with 10,000 open, and the resume time of a finished 1,000-event run (PGlite, and PostgreSQL
// when DATABASE_URL is set). Prints the figures and writes them into bench/README.md between the server markers.
// Run: npm run bench:server   [-- --sockets 1000 --idle 10000 --users 10 --runs 20 --events 500 --no-readme]
import { fork, type ChildProcess } from "node:child_process";
import { execFileSync, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { generateWorkload } from "../src/analytics/generator/workload.ts";
import { ingestUsage } from "../src/analytics/ingest.ts";
import { readUsageLines } from "../src/analytics/read-usage.ts";
import { sampleEvent } from "../src/bus/sample-events.ts";
import { PriceBook } from "../src/pricing/price-book.ts";
import { RunEventSchema, type RunEvent } from "../src/protocol/events.ts";
import { AgentName, EnvVar } from "../src/protocol/names.ts";
import { uuidv7 } from "../src/runtime/ids.ts";
import { buildApp, type ApexApp } from "../src/server/app.ts";
import { loadServerConfig } from "../src/server/config.ts";
import { storeTargets, type StoreTarget } from "../src/store/disposable-database.ts";
import { RunRepository } from "../src/store/runs.ts";
import { ThreadRepository } from "../src/store/threads.ts";
import { writeReadmeSection } from "./readme-section.ts";
import type { ClientOrder, ClientReply, Delivery } from "./server-clients.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return Number(i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback);
}

const SOCKETS = arg("sockets", 1000);
const IDLE = arg("idle", 10_000);
const USERS = arg("users", 10);
const RUNS = arg("runs", 20);
const EVENTS = arg("events", 500);
const PACED_EVENTS = arg("paced-events", 200);
const PACE_MS = arg("pace-ms", 20);
const PIPELINE_RUNS_PER_USER = arg("pipeline-runs", 5);
const RESUME_EVENTS = 1000;
/** How long the clients wait for what they expect before reporting a failure. */
const WAIT_S = arg("wait-s", 180);
const RESUME_TIMES = 9;
const WRITE_README = !process.argv.includes("--no-readme");
/** The whole benchmark stops by itself past this. */
const DEADLINE_MS = 20 * 60_000;
/** What the server runs with, beyond the defaults: no per-user limit gets in the way of the load. */
const SERVER_ENV = {
  [EnvVar.LOG_LEVEL]: "error",
  [EnvVar.RATE_LIMIT_PER_MINUTE]: "1000000",
  // Thousands of sockets over a few users: far past the per-user socket cap of a real deployment.
  [EnvVar.MAX_SOCKETS_PER_USER]: "1000000",
  [EnvVar.MAX_CONCURRENT_RUNS]: String(Math.max(2, PIPELINE_RUNS_PER_USER)),
};
const QUESTION = "Where can I cut my LLM costs?";
const PASSWORD = "bench-password-1";
/** A streamed report chunk of a realistic size (the frame is ~560 bytes). */
const CHUNK =
  "The summaries feature sends 1,204 calls a day to gpt-4o with a 3,100-token system prompt that never changes; " +
  "prompt caching would bill 2,900 of those tokens at the cached rate, about $41 a month less. ";

const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string): void => void process.stdout.write(`${line}\n`);
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const kib = (bytes: number): string => (bytes / 1024).toFixed(1);
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

/**
 * The soft limit of open files covers the sockets plus a margin, or the benchmark re-runs itself under
 * `ulimit -n <needed>` (children inherit it); when even that is refused, it stops with what to do.
 */
function ensureFileLimit(needed: number): string {
  const current = execFileSync("sh", ["-c", "ulimit -n"]).toString().trim();
  if (current === "unlimited" || Number(current) >= needed) return current;
  const script = `ulimit -n ${needed} 2>/dev/null || { echo "bench:server needs ${needed} open files but the limit is ${current} and cannot be raised (hard limit $(ulimit -Hn)); raise it (ulimit -n / limits.conf) or pass --idle with fewer sockets." >&2; exit 1; }; exec "$0" "$@"`;
  const rerun = spawnSync("sh", ["-c", script, process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(rerun.status ?? 1);
}

interface BenchServer {
  app: ApexApp;
  url: string;
  stop(): Promise<void>;
}

/** The real server on a loopback port, over a fresh data dir (PGlite) or a scratch PostgreSQL database (+ Redis). */
async function serve(target: StoreTarget): Promise<BenchServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "apex-bench-server-"));
  const scratch = target.name === "pglite" ? undefined : await target.create();
  const env: Record<string, string | undefined> = { ...SERVER_ENV, [EnvVar.DATA_DIR]: dataDir };
  if (scratch !== undefined) Object.assign(env, { [EnvVar.DATABASE_URL]: scratch.url, [EnvVar.REDIS_URL]: process.env[EnvVar.REDIS_URL] });
  const app = await buildApp(await loadServerConfig(env, { port: 0 }));
  return {
    app,
    url: await app.fastify.listen({ host: "127.0.0.1", port: 0 }),
    async stop() {
      await app.close();
      await scratch?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface Account {
  id: string;
  token: string;
}

async function accounts(app: ApexApp, count: number): Promise<Account[]> {
  const made: Account[] = [];
  for (let i = 0; i < count; i += 1) {
    const user = await app.auth.createUser(`bench-${i}@example.com`, PASSWORD);
    made.push({ id: user.id, token: (await app.auth.issueToken(user)).token });
  }
  return made;
}

interface BenchRun {
  id: string;
  owner: string;
  events: RunEvent[];
}

/** A run row (under a long lease, so the sweeper leaves it alone) and its events, built before any clock starts. */
async function newRun(app: ApexApp, owner: string, count: number): Promise<BenchRun> {
  const thread = await new ThreadRepository(app.database.db).create(owner, "bench");
  const { id } = await new RunRepository(app.database.db).create({ ownerId: owner, threadId: thread.id, request: "bench", nodeId: "bench", leaseMs: 3_600_000 });
  const events = Array.from({ length: count }, (_, i) =>
    RunEventSchema.parse({
      ...sampleEvent(id, i + 1),
      event_id: uuidv7(),
      thread_id: thread.id,
      data: { agent_name: AgentName.REPORT, content: CHUNK },
    }),
  );
  return { id, owner, events };
}

/**
 * Every run writes its events through the server's event log (real group commit, bus and gateway), each append
 * awaited like the emitter does, `pauseMs` apart. The emit time of (run, seq) is taken just before its append.
 */
async function writeRuns(app: ApexApp, runs: BenchRun[], pauseMs: number): Promise<Record<string, Float64Array>> {
  const emits: Record<string, Float64Array> = {};
  await Promise.all(
    runs.map(async (run) => {
      const times = new Float64Array(run.events.length + 1);
      emits[run.id] = times;
      for (const event of run.events) {
        times[event.seq] = monotonicMs();
        await app.log.append(event, run.owner);
        if (pauseMs > 0) await sleep(pauseMs);
      }
    }),
  );
  return emits;
}

class ClientProcess {
  readonly #child: ChildProcess;

  constructor() {
    this.#child = fork(join(import.meta.dirname, "server-clients.ts"), [String(WAIT_S * 1000)], { execArgv: ["--import", "tsx"], serialization: "advanced" });
  }

  async ask<T extends ClientReply["op"]>(order: ClientOrder, expected: T): Promise<Extract<ClientReply, { op: T }>> {
    const answer = once(this.#child, "message") as Promise<[ClientReply]>;
    this.#child.send(order);
    const [reply] = await answer;
    if (reply.op !== expected) throw new Error(`the client process answered ${order.op} with ${JSON.stringify(reply)}`);
    return reply as Extract<ClientReply, { op: T }>;
  }

  exit(): void {
    this.#child.send({ op: "exit" } satisfies ClientOrder);
  }
}

/** The server process while a load runs: its CPU time and how late its event loop ran timers (blocked). */
function watchServer(): (seconds: number) => string {
  const cpu = process.cpuUsage();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  return (seconds) => {
    delay.disable();
    const used = process.cpuUsage(cpu);
    return `${(((used.user + used.system) / 1e6 / seconds) * 100).toFixed(0)}% | ${(delay.percentile(99) / 1e6).toFixed(0)} / ${(delay.max / 1e6).toFixed(0)}`;
  };
}

function storeName(target: StoreTarget): string {
  if (target.name === "pglite") return "PGlite";
  return process.env[EnvVar.REDIS_URL] ? "PostgreSQL + Redis bus" : "PostgreSQL";
}

function deliveryRow(store: string, name: string, d: Delivery, server: string): string {
  const n = (v: number) => Math.round(v).toLocaleString("en-US");
  return `| ${store} | ${name} | ${n(d.deliveries)} | ${n(d.perSecond)} | ${d.p50.toFixed(1)} / ${d.p99.toFixed(1)} / ${d.max.toFixed(0)} | ${server} | ${d.clientCpu.toFixed(0)}% | ${d.resyncs} |`;
}

/** Figure 1: SOCKETS sockets over USERS users, RUNS runs written through the log; then real pipeline runs. */
async function fanOut(clients: ClientProcess, target: StoreTarget): Promise<string[]> {
  const server = await serve(target);
  try {
    const users = await accounts(server.app, USERS);
    const opened = await clients.ask({ op: "open", url: server.url, tokens: users.map((u) => u.token), count: SOCKETS }, "opened");
    const rows: string[] = [];
    for (const [name, events, pauseMs] of [
      [`${RUNS} runs × ${EVENTS} events, appends back to back`, EVENTS, 0],
      [`${RUNS} runs × ${PACED_EVENTS} events, ${PACE_MS} ms apart`, PACED_EVENTS, PACE_MS],
    ] as const) {
      // run r belongs to user r % USERS; each socket follows one of its user's runs, the runs in turn
      const runs: BenchRun[] = [];
      const runsByUser: string[][] = users.map(() => []);
      for (let r = 0; r < RUNS; r += 1) {
        runs.push(await newRun(server.app, users[r % USERS]?.id ?? "", events));
        runsByUser[r % USERS]?.push(runs[r]?.id ?? "");
      }
      await clients.ask({ op: "follow", runsByUser }, "following");
      const watch = watchServer();
      const started = monotonicMs();
      const emits = await writeRuns(server.app, runs, pauseMs);
      const collected = await clients.ask({ op: "collect", lastSeq: events, emits }, "collected");
      rows.push(deliveryRow(storeName(target), name, collected, watch((monotonicMs() - started) / 1000)));
      log(rows.at(-1) ?? "");
    }
    await giveUsage(server.app, users);
    const watch = watchServer();
    const real = await clients.ask({ op: "pipeline", users: USERS, runsPerUser: PIPELINE_RUNS_PER_USER, question: QUESTION }, "pipelined");
    rows.push(deliveryRow(storeName(target), `${real.runs} real pipeline runs (${real.eventsPerRun.toFixed(0)} events each), ${Math.round(opened.opened / real.runs)} sockets per run`, real, watch(real.seconds)));
    log(rows.at(-1) ?? "");
    await clients.ask({ op: "drop" }, "dropped");
    log(`(${storeName(target)}: ${opened.opened} sockets opened, ${opened.failed} failed, in ${opened.seconds.toFixed(1)} s)`);
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${SOCKETS} sockets could not be opened`);
    return rows;
  } finally {
    await server.stop();
  }
}

/** The same small generated workload (800 calls over 14 days) for every user, so the real pipeline has data. */
async function giveUsage(app: ApexApp, users: Account[]): Promise<void> {
  const book = new PriceBook();
  const price = (record: Parameters<PriceBook["price"]>[0]) => book.price(record);
  const lines = Array.from(generateWorkload({ scenario: "saas", records: 800, days: 14, seed: 7, price: (r) => price(r).computed_cost_usd }).records(), (r) => JSON.stringify(r));
  for (const user of users) await ingestUsage(await readUsageLines(lines, { format: "canonical" }), app.usage, { owner: user.id, corpus: "default", price });
}

/** Figure 2: server memory before and after IDLE authenticated idle sockets, per socket. */
async function idleMemory(clients: ClientProcess): Promise<{ rows: string[]; opened: number }> {
  const server = await serve(storeTargets()[0] as StoreTarget);
  try {
    const users = await accounts(server.app, USERS);
    gc();
    await sleep(500);
    gc();
    const before = process.memoryUsage();
    const opened = await clients.ask({ op: "open", url: server.url, tokens: users.map((u) => u.token), count: IDLE }, "opened");
    await sleep(2000);
    gc();
    const after = process.memoryUsage();
    const per = (key: "rss" | "heapUsed" | "external") => kib((after[key] - before[key]) / opened.opened);
    const rows = [
      `| ${opened.opened.toLocaleString("en-US")} opened (${opened.failed} failed) in ${opened.seconds.toFixed(1)} s | ${mb(before.rss)} → ${mb(after.rss)} | ${mb(before.heapUsed)} → ${mb(after.heapUsed)} | ${per("rss")} | ${per("heapUsed")} | ${per("external")} | ${opened.rssMb.toFixed(0)} |`,
    ];
    log(rows[0] ?? "");
    await clients.ask({ op: "drop" }, "dropped");
    return { rows, opened: opened.opened };
  } finally {
    await server.stop();
  }
}

/** Figure 3: a finished run of RESUME_EVENTS logged events; fresh sockets subscribe from seq 0, RESUME_TIMES times. */
async function resume(clients: ClientProcess): Promise<string[]> {
  const rows: string[] = [];
  for (const target of storeTargets()) {
    const server = await serve(target);
    try {
      const [user] = await accounts(server.app, 1);
      if (user === undefined) throw new Error("no account");
      const run = await newRun(server.app, user.id, RESUME_EVENTS);
      await Promise.all(run.events.map((event) => server.app.log.append(event, user.id)));
      const { ms } = await clients.ask({ op: "resume", url: server.url, token: user.token, runId: run.id, events: RESUME_EVENTS, times: RESUME_TIMES }, "resumed");
      const sorted = [...ms].sort((a, b) => a - b);
      rows.push(`| ${storeName(target)} | ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)} | ${(sorted[0] ?? 0).toFixed(1)}–${(sorted.at(-1) ?? 0).toFixed(1)} |`);
      log(rows.at(-1) ?? "");
    } finally {
      await server.stop();
    }
  }
  return rows;
}

const fileLimit = ensureFileLimit(Math.max(SOCKETS, IDLE) + 1024);
setTimeout(() => {
  process.stderr.write(`bench:server gave up after ${DEADLINE_MS / 60_000} minutes\n`);
  process.exit(1);
}, DEADLINE_MS).unref();
const load = loadavg().map((l) => l.toFixed(1)).join(" / ");
log(`server benchmark: node ${process.version}, ${cpus().length} cores, ${mb(totalmem())} MiB, load average ${load}, open-file limit ${fileLimit}, gc exposed: ${typeof (globalThis as { gc?: unknown }).gc === "function"}`);
const clients = new ClientProcess();
try {
  const fan: string[] = [];
  for (const target of storeTargets()) fan.push(...(await fanOut(clients, target)));
  const idle = await idleMemory(clients);
  const resumed = await resume(clients);
  const finalLoad = loadavg().map((l) => l.toFixed(1)).join(" / ");
  const section = [
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:server\` (node ${process.version}; load average ${load} at the start, ${finalLoad} at the end).`,
    "",
    `**Fan-out**: ${SOCKETS.toLocaleString("en-US")} sockets over ${USERS} users; each socket follows one run of its user (${SOCKETS / RUNS} sockets per run).`,
    "",
    "| store | load | events delivered | delivered/s | latency p50 / p99 / max (ms) | server CPU | server event-loop delay p99 / max (ms) | client CPU | resyncs |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ...fan,
    "",
    `**Idle sockets**: ${idle.opened.toLocaleString("en-US")} authenticated sockets, each with its welcome received, over ${USERS} users.`,
    "",
    "| sockets | server RSS (MiB) | server heap (MiB) | RSS per socket (KiB) | heap per socket (KiB) | external per socket (KiB) | client process RSS (MiB) |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...idle.rows,
    "",
    `**Resume**: a finished run of ${RESUME_EVENTS.toLocaleString("en-US")} logged events; a fresh socket sends \`subscribe\` with after_seq 0 (${RESUME_TIMES} times).`,
    "",
    "| store | subscribe → replay_complete, median (ms) | range (ms) |",
    "|---|---:|---:|",
    ...resumed,
  ].join("\n");
  log(`\n${section}`);
  if (WRITE_README) await writeReadmeSection("server", section);
} finally {
  clients.exit();
}
