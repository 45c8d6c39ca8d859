// Usage data benchmark: ingest records/s (canonical JSONL and the OpenAI format; DuckDB, and PostgreSQL when
// DATABASE_URL is set), peak memory of `apex ingest`, and the time of the full set of analysis queries on DuckDB.
// Run: npm run bench:usage -- --records 1000000 [--formats canonical,openai] [--engines duckdb,postgres]
// Files go to bench/out/ (git-ignored) and are reused between runs.
import { execFileSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { once } from "node:events";
import { openUsageStore } from "../src/analytics/open-usage-store.ts";
import type { Scope, UsageStore } from "../src/analytics/store.ts";
import { EnvVar } from "../src/protocol/names.ts";

const ROOT = join(import.meta.dirname, "..");
const OUT = join(ROOT, "bench/out");
const BIN = join(ROOT, "bin/apex.js");

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const RECORDS = Number(arg("records", "1000000"));
const FORMATS = arg("formats", "canonical,openai").split(",");
const ENGINES = arg("engines", process.env[EnvVar.DATABASE_URL] ? "duckdb,postgres" : "duckdb").split(",");

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function generate(): string {
  const file = join(OUT, `saas-${RECORDS}.jsonl`);
  if (!existsSync(file)) {
    const started = performance.now();
    execFileSync("node", [BIN, "generate", "--scenario", "saas", "--records", String(RECORDS), "--seed", "1", "--out", file], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    log(`generated ${RECORDS.toLocaleString("en-US")} records in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return file;
}

/** The same records as OpenAI Chat Completions objects (one per line), the shape `--format openai` reads. */
async function toOpenAi(canonical: string): Promise<string> {
  const file = canonical.replace(/\.jsonl$/, ".openai.jsonl");
  if (existsSync(file)) return file;
  const out = createWriteStream(file);
  for await (const line of createInterface({ input: createReadStream(canonical), crlfDelay: Infinity })) {
    const r = JSON.parse(line) as Record<string, number | string | undefined>;
    const body = {
      id: r.id,
      object: "chat.completion",
      created: Math.floor(Date.parse(String(r.timestamp)) / 1000),
      model: r.model,
      choices: [{ index: 0, message: { role: "assistant", content: "" }, finish_reason: r.finish_reason ?? "stop" }],
      usage: {
        prompt_tokens: r.input_tokens,
        completion_tokens: r.output_tokens,
        total_tokens: Number(r.input_tokens) + Number(r.output_tokens),
        prompt_tokens_details: { cached_tokens: r.cache_read_tokens ?? 0 },
        completion_tokens_details: { reasoning_tokens: r.reasoning_tokens ?? 0 },
      },
    };
    if (!out.write(`${JSON.stringify(body)}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return file;
}

/** `apex ingest` in a child process under /usr/bin/time: records/s and peak resident memory. */
function ingest(file: string, format: string, engine: string): { recordsPerSec: number; peakMb: number; seconds: number } {
  const dataDir = join(OUT, `data-${engine}-${format}-${RECORDS}`);
  rmSync(dataDir, { recursive: true, force: true });
  const owner = `bench-${process.pid}-${format}`;
  const env = { ...process.env, [EnvVar.DATABASE_URL]: engine === "postgres" ? process.env[EnvVar.DATABASE_URL] : "" };
  const stats = join(OUT, "time.txt");
  const started = performance.now();
  execFileSync(
    "/usr/bin/time",
    ["-f", "%M", "-o", stats, "node", BIN, "ingest", file, "--format", format, "--data-dir", dataDir, "--owner", owner, "--json"],
    { env, stdio: ["ignore", "ignore", "inherit"] },
  );
  const seconds = (performance.now() - started) / 1000;
  const peakKb = Number(execFileSync("tail", ["-n", "1", stats]).toString().trim());
  if (engine === "postgres") cleanupPostgres(owner);
  return { recordsPerSec: RECORDS / seconds, peakMb: peakKb / 1024, seconds };
}

function cleanupPostgres(owner: string): void {
  execFileSync("node", ["--import", "tsx", "-e", `
    const { openUsageStore } = await import(${JSON.stringify(join(ROOT, "src/analytics/open-usage-store.ts"))});
    const s = await openUsageStore({ databaseUrl: process.env.${EnvVar.DATABASE_URL} });
    await s.deleteCorpus(${JSON.stringify(owner)}, "default"); await s.close();`], { stdio: "inherit", cwd: ROOT });
}

async function timeQueries(store: UsageStore, scope: Scope): Promise<[string, number][]> {
  const queries: [string, () => Promise<unknown>][] = [
    ["totals", () => store.totals(scope)],
    ["unpricedModels", () => store.unpricedModels(scope)],
    ["breakdown model", () => store.breakdown(scope, "model")],
    ["breakdown feature", () => store.breakdown(scope, "feature")],
    ["breakdown user_id", () => store.breakdown(scope, "user_id")],
    ["breakdown day", () => store.breakdown(scope, "day")],
    ["breakdown hour_of_day", () => store.breakdown(scope, "hour_of_day")],
    ["percentiles model", () => store.percentiles(scope, "model")],
    ["percentiles feature", () => store.percentiles(scope, "feature")],
    ["prefixReuse", () => store.prefixReuse(scope, { minPrefixTokens: 1024 })],
    ["duplicateRequests", () => store.duplicateRequests(scope)],
    ["failedBilledCalls", () => store.failedBilledCalls(scope)],
    ["retriesAfterError", () => store.retriesAfterError(scope)],
    ["truncationRetries", () => store.truncationRetries(scope)],
    ["sessionGrowth", () => store.sessionGrowth(scope)],
  ];
  const results: [string, number][] = [];
  for (const [name, run] of queries) {
    const times: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const started = performance.now();
      await run();
      times.push(performance.now() - started);
    }
    results.push([name, times.sort((a, b) => a - b)[1] ?? 0]);
  }
  return results;
}

mkdirSync(OUT, { recursive: true });
log(`usage benchmark: ${RECORDS.toLocaleString("en-US")} records, formats ${FORMATS.join(",")}, engines ${ENGINES.join(",")}, node ${process.version}`);
const canonical = generate();
const files: Record<string, string> = { canonical };
if (FORMATS.includes("openai")) files.openai = await toOpenAi(canonical);

log("\n| format | engine | records/s | seconds | peak RSS (MB) |\n|---|---|---|---|---|");
for (const format of FORMATS) {
  for (const engine of ENGINES) {
    const r = ingest(files[format] ?? canonical, format, engine);
    log(`| ${format} | ${engine} | ${Math.round(r.recordsPerSec).toLocaleString("en-US")} | ${r.seconds.toFixed(1)} | ${r.peakMb.toFixed(0)} |`);
  }
}

if (ENGINES.includes("duckdb")) {
  const owner = `bench-${process.pid}-${FORMATS[0]}`;
  const store = await openUsageStore({ dataDir: join(OUT, `data-duckdb-${FORMATS[0]}-${RECORDS}`) });
  try {
    const results = await timeQueries(store, { owner });
    log(`\n| query on DuckDB (${RECORDS.toLocaleString("en-US")} records, median of 3) | ms |\n|---|---|`);
    for (const [name, ms] of results) log(`| ${name} | ${ms.toFixed(0)} |`);
    log(`| **all ${results.length} queries** | **${results.reduce((s, [, ms]) => s + ms, 0).toFixed(0)}** |`);
  } finally {
    await store.close();
  }
}
