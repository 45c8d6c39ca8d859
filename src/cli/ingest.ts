import { statSync } from "node:fs";
import { resolve } from "node:path";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { ingestUsage, type IngestProgress, type IngestSummary } from "../analytics/ingest.ts";
import { openUsageReader } from "../analytics/read-usage.ts";
import { openUsageStore } from "../analytics/open-usage-store.ts";
import type { UsageStore } from "../analytics/store.ts";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import { loadPriceBook, PRICES_OPTION_HELP } from "./price-book-option.ts";
import { DATA_DIR_OPTION_HELP, LOCAL_OWNER, resolveDataDir } from "./data-dir-option.ts";
import { addSourceOptions, readOptionsOf, type SourceFlags } from "./source-options.ts";

// `apex ingest <files…>`: reads usage logs in any supported format into the usage store (DuckDB under the data
// directory, or PostgreSQL when DATABASE_URL is set), priced with the bundled table or --prices. Re-ingesting a file
// adds nothing: records are keyed by (owner, id).

interface IngestFlags extends SourceFlags {
  dataDir?: string;
  prices?: string;
  owner: string;
  corpus: string;
  json?: boolean;
}

const SHOWN_REJECTIONS = 10;
const PLAIN_PROGRESS_EVERY_MS = 2_000;

export function registerIngestCommand(program: Command): void {
  addSourceOptions(program.command("ingest"))
    .description("load LLM usage logs (OpenAI, Anthropic, LiteLLM, Langfuse, Helicone, OTel, …) into the usage store")
    .argument("<files...>", "usage log files (plain or gzip; JSON Lines, JSON array or CSV)")
    .option("--data-dir <dir>", DATA_DIR_OPTION_HELP)
    .option("--prices <file>", PRICES_OPTION_HELP)
    .option("--owner <name>", "the Apex account the records belong to", LOCAL_OWNER)
    .option("--corpus <name>", "the dataset the records are filed under", "default")
    .option("--json", "print the summary as JSON on stdout")
    .action(async (files: string[], flags: IngestFlags) => {
      await runIngest(files, flags);
    });
}

async function runIngest(files: string[], flags: IngestFlags): Promise<void> {
  for (const file of files) {
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
      throw new ApexError(ErrorCode.FILE_NOT_FOUND, `${file} does not exist or is not a file; check the path.`);
    }
  }
  const { book } = loadPriceBook(flags.prices);
  const databaseUrl = process.env[EnvVar.DATABASE_URL] || undefined;
  const store = await openUsageStore({ databaseUrl, dataDir: resolveDataDir(flags.dataDir) });
  const summaries: (IngestSummary & { file: string })[] = [];
  try {
    for (const file of files) summaries.push({ file, ...(await ingestFile(file, flags, store, (r) => book.price(r))) });
  } finally {
    await store.close();
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ engine: store.engine, files: summaries }, null, 2)}\n`);
    return;
  }
  for (const summary of summaries) printSummary(summary);
}

async function ingestFile(
  file: string,
  flags: IngestFlags,
  store: UsageStore,
  price: Parameters<typeof ingestUsage>[2]["price"],
): Promise<IngestSummary> {
  const reader = await openUsageReader(file, readOptionsOf(flags));
  const size = statSync(file).size;
  const progress = progressFor(file, reader.format, size, flags.json === true);
  try {
    return await ingestUsage(reader, store, { owner: flags.owner, corpus: flags.corpus, price, onProgress: progress.update });
  } finally {
    progress.stop();
  }
}

function rate(records: number, ms: number): string {
  return ms > 0 ? `${Math.round((records * 1000) / ms).toLocaleString("en-US")} records/s` : "";
}

/** A bar on a terminal; a plain line every few seconds otherwise (logs, CI), so long ingests show they are alive. */
function progressFor(file: string, format: string, size: number, quiet: boolean): { update(p: IngestProgress): void; stop(): void } {
  if (quiet) return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: `${file} [{bar}] {percentage}% | {records} records | {rate} | {rejected} rejected`,
      stream: process.stderr,
      hideCursor: true,
    });
    bar.start(size, 0, { records: 0, rate: "", rejected: 0 });
    return {
      update: (p) => bar.update(Math.min(p.bytes, size), { records: p.records.toLocaleString("en-US"), rate: rate(p.records, p.elapsedMs), rejected: p.rejected }),
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update: (p) => {
      if (p.elapsedMs - last < PLAIN_PROGRESS_EVERY_MS) return;
      last = p.elapsedMs;
      const mb = (p.bytes / 1e6).toFixed(1);
      process.stderr.write(`apex ingest: ${file} (${format}): ${p.records.toLocaleString("en-US")} records, ${mb} MB, ${rate(p.records, p.elapsedMs)}, ${p.rejected} rejected\n`);
    },
    stop: () => undefined,
  };
}

function printSummary(s: IngestSummary & { file: string }): void {
  const out = process.stdout;
  out.write(
    `${resolve(s.file)}: format ${s.format}: ${s.records_read.toLocaleString("en-US")} records read, ` +
      `${s.ingested.toLocaleString("en-US")} ingested, ${s.duplicates.toLocaleString("en-US")} already stored, ` +
      `${s.rejected.toLocaleString("en-US")} rejected (${(s.duration_ms / 1000).toFixed(1)} s, ${rate(s.records_read, s.duration_ms)})\n`,
  );
  for (const r of s.rejections.slice(0, SHOWN_REJECTIONS)) out.write(`  line ${r.line}: ${r.reason}\n`);
  if (s.rejected > SHOWN_REJECTIONS) out.write(`  … and ${s.rejected - SHOWN_REJECTIONS} more rejected lines (run with --json to see the first ${s.rejections.length})\n`);
  if (s.unpriced_records > 0) {
    out.write(
      `  ${s.unpriced_records.toLocaleString("en-US")} records of models with no price: ${s.unpriced_models.join(", ")}; ` +
        `add them with --prices FILE (LiteLLM format)\n`,
    );
  }
  if (s.cost_mismatches > 0) {
    out.write(`  ${s.cost_mismatches.toLocaleString("en-US")} records report a cost more than 1% off the recomputed one (both are kept)\n`);
  }
}
