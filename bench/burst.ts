// Burst benchmark (issue 13): N users (default 1,000) on PostgreSQL + Redis, each with the same small usage corpus,
// each send one message at the same moment over their own /ws to one node; the clients run in a forked process
// (bench/burst-clients.ts) so the server's event loop is measured alone. The same burst runs against the node's fair
// run queue (APEX_MAX_RUNS_IN_FLIGHT = each --in-flight value) and with the queue disabled (0: every run admitted at
// once, the behaviour before the queue), in the same run. Prints the figures and writes them into bench/README.md.
// Run: npm run bench:burst   [-- --users 1000 --in-flight 4 --records 200 --pool 8 --no-readme]   (DATABASE_URL set)
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { generateWorkload } from "../src/analytics/generator/workload.ts";
import { ingestUsage } from "../src/analytics/ingest.ts";
import type { PricedUsageRecord } from "../src/analytics/record.ts";
import { readUsageLines } from "../src/analytics/read-usage.ts";
import type { UsageStore } from "../src/analytics/store.ts";
import { PriceBook } from "../src/pricing/price-book.ts";
import { EnvVar, EventType, Role } from "../src/protocol/names.ts";
import { buildApp, type ApexApp } from "../src/server/app.ts";
import { loadServerConfig } from "../src/server/config.ts";
import { storeTargets, type DisposableDatabase } from "../src/store/disposable-database.ts";
import { UserRepository } from "../src/store/users.ts";
import type { BurstOrder, BurstReply, UserTimes } from "./burst-clients.ts";
import { writeReadmeSection } from "./readme-section.ts";

const { values: flags } = parseArgs({
  options: {
    users: { type: "string", default: "1000" },
    "in-flight": { type: "string", default: String(64 * availableParallelism()) },
    records: { type: "string", default: "200" },
    pool: { type: "string", default: "" },
    "wait-s": { type: "string", default: "900" },
    "no-readme": { type: "boolean", default: false },
  },
});
const USERS = Number(flags.users);
/** The queue's admissions to measure, then always 0 (no queue). */
const IN_FLIGHT = flags["in-flight"].split(",").map(Number);
const RECORDS = Number(flags.records);
const POOL = flags.pool;
const WAIT_MS = Number(flags["wait-s"]) * 1000;
const WRITE_README = !flags["no-readme"];
const WARM_UP = 10;
const QUESTION = "Where can I cut my LLM costs?";
const DEADLINE_MS = 60 * 60_000;
/** Every node of the run signs and checks tokens with the same secret, so one seeding serves every burst. */
const JWT_SECRET = randomBytes(48).toString("base64url");

const log = (line: string): void => void process.stdout.write(`${line}\n`);
const load = (): string => loadavg().map((l) => l.toFixed(1)).join(" / ");

class Clients {
  readonly #child: ChildProcess = fork(join(import.meta.dirname, "burst-clients.ts"), [], { execArgv: ["--import", "tsx"], serialization: "advanced" });

  async ask<T extends BurstReply["op"]>(order: BurstOrder, expected: T): Promise<Extract<BurstReply, { op: T }>> {
    const answer = once(this.#child, "message") as Promise<[BurstReply]>;
    this.#child.send(order);
    const [reply] = await answer;
    if (reply.op !== expected) throw new Error(`the client process answered ${order.op} with ${JSON.stringify(reply).slice(0, 500)}`);
    return reply as Extract<BurstReply, { op: T }>;
  }

  exit(): void {
    this.#child.send({ op: "exit" } satisfies BurstOrder);
  }
}

/** A node on the shared scratch database; `inFlight` 0 disables the queue. */
async function serve(databaseUrl: string, inFlight: number | undefined): Promise<{ app: ApexApp; url: string; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), "apex-bench-burst-"));
  const env: Record<string, string | undefined> = {
    [EnvVar.DATA_DIR]: dataDir,
    [EnvVar.DATABASE_URL]: databaseUrl,
    [EnvVar.REDIS_URL]: process.env[EnvVar.REDIS_URL],
    [EnvVar.LOG_LEVEL]: "error",
    [EnvVar.JWT_SECRET]: JWT_SECRET,
    [EnvVar.RATE_LIMIT_PER_MINUTE]: "1000000",
    [EnvVar.MAX_QUEUED_RUNS]: String(Math.max(USERS, 1)),
    ...(inFlight === undefined ? {} : { [EnvVar.MAX_RUNS_IN_FLIGHT]: String(inFlight) }),
    ...(POOL === "" ? {} : { [EnvVar.USAGE_POOL_SIZE]: POOL }),
  };
  const app = await buildApp(await loadServerConfig(env, { port: 0 }));
  const url = await app.fastify.listen({ host: "127.0.0.1", port: 0 });
  const stop = () => app.close().then(() => rm(dataDir, { recursive: true, force: true }));
  return { app, url, stop };
}

/** The users (one hash for all: nobody signs in with a password here) and the same small corpus for each. */
async function seed(app: ApexApp): Promise<string[]> {
  const book = new PriceBook();
  const lines = Array.from(generateWorkload({ scenario: "saas", records: RECORDS, days: 14, seed: 7, price: (r) => book.price(r).computed_cost_usd }).records(), (r) => JSON.stringify(r));
  const repository = new UserRepository(app.database.db);
  let priced: readonly PricedUsageRecord[] = [];
  // The first user's ingest prices the records once; every other user gets the same rows straight into the store.
  const capture: UsageStore = {
    ...app.usage,
    insert: async (owner, corpus, records) => {
      priced = [...priced, ...records];
      return app.usage.insert(owner, corpus, records);
    },
  };
  const tokens: string[] = [];
  for (let i = 0; i < USERS; i += 1) {
    const user = await repository.create({ email: `burst-${i}@example.com`, passwordHash: "bench-account-without-password", role: Role.USER });
    if (i === 0) await ingestUsage(await readUsageLines(lines, { format: "canonical" }), capture, { owner: user.id, corpus: "default", price: (r) => book.price(r) });
    else await app.usage.insert(user.id, "default", priced);
    tokens.push((await app.auth.issueToken({ id: user.id, email: user.email, role: user.role, tier: user.tier })).token);
  }
  return tokens;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);
}

interface Figures {
  label: string;
  completed: number;
  errors: number;
  firstError: string | null;
  placeP50: number;
  placeP99: number;
  placeMax: number;
  queued: number;
  answerFirst: number;
  answerP50: number;
  answerP90: number;
  answerP99: number;
  answerMax: number;
  runsPerSecond: number;
  serverCpu: number;
  loopP99: number;
  loopMax: number;
  clientCpu: number;
}

function figures(label: string, users: UserTimes[], server: { cpu: number; loopP99: number; loopMax: number }, clientCpu: number): Figures {
  const sorted = (values: number[]) => values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const places = sorted(users.map((u) => u.acked - u.sent));
  const answers = sorted(users.map((u) => u.ended - u.sent));
  const completed = users.filter((u) => u.terminal === EventType.RUN_COMPLETED).length;
  const errored = users.filter((u) => u.error !== null || (u.terminal !== null && u.terminal !== EventType.RUN_COMPLETED) || !Number.isFinite(u.ended));
  const last = answers.at(-1) ?? Number.NaN;
  return {
    label,
    completed,
    errors: errored.length,
    firstError: errored[0]?.error ?? errored[0]?.terminal ?? (errored.length > 0 ? "no terminal event" : null),
    placeP50: quantile(places, 0.5),
    placeP99: quantile(places, 0.99),
    placeMax: places.at(-1) ?? Number.NaN,
    queued: users.filter((u) => u.position > 0).length,
    answerFirst: answers[0] ?? Number.NaN,
    answerP50: quantile(answers, 0.5),
    answerP90: quantile(answers, 0.9),
    answerP99: quantile(answers, 0.99),
    answerMax: last,
    runsPerSecond: completed / (last / 1000),
    serverCpu: server.cpu,
    loopP99: server.loopP99,
    loopMax: server.loopMax,
    clientCpu,
  };
}

function row(f: Figures): string {
  const s = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
  const ms = (v: number) => Math.round(v).toLocaleString("en-US");
  return `| ${f.label} | ${f.completed} / ${USERS} | ${f.errors} | ${ms(f.placeP50)} / ${ms(f.placeP99)} / ${ms(f.placeMax)} | ${f.queued} | ${s(f.answerFirst)} / ${s(f.answerP50)} / ${s(f.answerP90)} / ${s(f.answerP99)} / ${s(f.answerMax)} | ${(f.answerP50 / f.answerMax).toFixed(2)} | ${f.runsPerSecond.toFixed(1)} | ${f.serverCpu.toFixed(0)}% | ${ms(f.loopP99)} / ${ms(f.loopMax)} | ${f.clientCpu.toFixed(0)}% |`;
}

async function burst(clients: Clients, databaseUrl: string, tokens: string[], inFlight: number): Promise<Figures> {
  const server = await serve(databaseUrl, inFlight);
  try {
    const opened = await clients.ask({ op: "open", url: server.url, tokens }, "opened");
    if (opened.failed > 0) throw new Error(`${opened.failed} of ${USERS} sockets could not be opened, the first: ${opened.firstFailure ?? "?"}`);
    // Untimed: a few runs first, so the node's first queries and compilations are not counted against its burst.
    await clients.ask({ op: "burst", question: QUESTION, waitMs: WAIT_MS, count: WARM_UP }, "burst");
    const cpu = process.cpuUsage();
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    const reply = await clients.ask({ op: "burst", question: QUESTION, waitMs: WAIT_MS }, "burst");
    const seconds = (performance.now() - started) / 1000;
    delay.disable();
    const used = process.cpuUsage(cpu);
    await clients.ask({ op: "drop" }, "dropped");
    const label = inFlight === 0 ? "no queue (every run admitted at once)" : `queue, ${inFlight} in flight`;
    const measured = figures(label, reply.users, { cpu: ((used.user + used.system) / 1e6 / seconds) * 100, loopP99: delay.percentile(99) / 1e6, loopMax: delay.max / 1e6 }, reply.cpuPercent);
    log(`${row(measured)}${measured.firstError === null ? "" : ` (first error: ${measured.firstError})`}   load ${load()}`);
    return measured;
  } finally {
    await server.stop();
  }
}

const fileLimit = execFileSync("sh", ["-c", "ulimit -n"]).toString().trim();
if (fileLimit !== "unlimited" && Number(fileLimit) < USERS + 1024) {
  process.stderr.write(`bench:burst needs ${USERS + 1024} open files but the limit is ${fileLimit}; raise it (ulimit -n) or pass --users with fewer.\n`);
  process.exit(1);
}
const target = storeTargets().find((t) => t.name === "postgres");
if (target === undefined) {
  process.stderr.write(`bench:burst runs on PostgreSQL: set ${EnvVar.DATABASE_URL} (and ${EnvVar.REDIS_URL} for the Redis bus).\n`);
  process.exit(1);
}
setTimeout(() => {
  process.stderr.write(`bench:burst gave up after ${DEADLINE_MS / 60_000} minutes\n`);
  process.exit(1);
}, DEADLINE_MS).unref();

const startLoad = load();
log(`burst benchmark: ${USERS} users × ${RECORDS} records, node ${process.version}, ${availableParallelism()} cores, load average ${startLoad}`);
const scratch: DisposableDatabase = await target.create();
const databaseUrl = scratch.url ?? "";
const clients = new Clients();
try {
  const seeding = await serve(databaseUrl, undefined);
  const seedStarted = performance.now();
  const tokens = await seed(seeding.app).finally(() => seeding.stop());
  log(`(seeded ${USERS} users in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s)`);
  log("| admission | completed | errors | ack with the place p50 / p99 / max (ms) | runs that waited | answer first / p50 / p90 / p99 / max (s) | median ÷ last | runs/s | server CPU | server loop delay p99 / max (ms) | client CPU |");
  log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const rows: Figures[] = [];
  for (const inFlight of [...IN_FLIGHT.filter((n) => n > 0), 0]) rows.push(await burst(clients, databaseUrl, tokens, inFlight));
  const section = [
    `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:burst -- --users ${USERS} --in-flight ${IN_FLIGHT.join(",")}${POOL === "" ? "" : ` --pool ${POOL}`}\` (node ${process.version}, ${availableParallelism()} cores; load average ${startLoad} at the start, ${load()} at the end). ${USERS.toLocaleString("en-US")} users × ${RECORDS} usage records each, PostgreSQL${process.env[EnvVar.REDIS_URL] ? " + Redis bus" : ""}, one node, offline LLM.`,
    "",
    "| admission | completed | errors | ack with the place p50 / p99 / max (ms) | runs that waited | answer first / p50 / p90 / p99 / max (s) | median ÷ last | runs/s | server CPU | server loop delay p99 / max (ms) | client CPU |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(row),
  ].join("\n");
  log(`\n${section}`);
  if (WRITE_README) await writeReadmeSection("burst", section);
} finally {
  clients.exit();
  await scratch.drop();
}
