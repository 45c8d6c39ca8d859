import { statSync } from "node:fs";
import type { Command } from "commander";
import { reportMarkdown } from "../agents/report-markdown.ts";
import { ingestUsage, type IngestSummary } from "../analytics/ingest.ts";
import { openUsageStore } from "../analytics/open-usage-store.ts";
import { openUsageReader } from "../analytics/read-usage.ts";
import type { UsageStore } from "../analytics/store.ts";
import { llmConfigFromEnv } from "../llm/config.ts";
import type { PriceBook } from "../pricing/price-book.ts";
import { MAX_MESSAGE_CHARS } from "../protocol/commands.ts";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode, EventType } from "../protocol/names.ts";
import { ReportSchema, type Report } from "../protocol/report.ts";
import { MemoryEventSink } from "../runtime/event-sink.ts";
import { createApexFactory } from "../server/pipeline.ts";
import { DATA_DIR_OPTION_HELP, LOCAL_OWNER, resolveDataDir } from "./data-dir-option.ts";
import { loadPriceBook, PRICES_OPTION_HELP } from "./price-book-option.ts";
import { addSourceOptions, readOptionsOf, type SourceFlags } from "./source-options.ts";

// `apex analyze`: the whole agent pipeline without a server, over the given files (ingested into an in-memory DuckDB)
// or the data directory's store. Progress goes to stderr; the report to stdout, as Markdown or (--json) the report object.

interface AnalyzeFlags extends SourceFlags {
  input?: string[];
  prices?: string;
  question: string;
  json?: boolean;
  dataDir?: string;
}

const DEFAULT_QUESTION = "Where can I cut my LLM costs?";
const SHOWN_REJECTIONS = 5;
const INPUT_CORPUS = "default";

export function registerAnalyzeCommand(program: Command): void {
  addSourceOptions(program.command("analyze"))
    .description("run the Apex agents over usage logs and print the report: where the money goes and what to change")
    .option("-i, --input <files...>", "usage log files to analyse (any ingest format; default: the data directory's store)")
    .option("--prices <file>", PRICES_OPTION_HELP)
    .option("-q, --question <text>", "what to ask about the data", DEFAULT_QUESTION)
    .option("--json", "print exactly the report object as JSON on stdout")
    .option("--data-dir <dir>", DATA_DIR_OPTION_HELP)
    .action(async (flags: AnalyzeFlags) => {
      await runAnalyze(flags);
    });
}

function checkFlags(flags: AnalyzeFlags): void {
  for (const file of flags.input ?? []) {
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
      throw new ApexError(ErrorCode.FILE_NOT_FOUND, `${file} does not exist or is not a file; check the path given to --input.`);
    }
  }
  const question = flags.question.trim();
  if (question === "") throw new ApexError(ErrorCode.INVALID_REQUEST, "--question is empty: ask something about your LLM usage, or leave it out.");
  if (question.length > MAX_MESSAGE_CHARS) {
    throw new ApexError(ErrorCode.INVALID_REQUEST, `--question has ${question.length} characters; keep it under ${MAX_MESSAGE_CHARS}.`);
  }
}

async function ingestInputs(flags: AnalyzeFlags, store: UsageStore, book: PriceBook): Promise<(IngestSummary & { file: string })[]> {
  const summaries: (IngestSummary & { file: string })[] = [];
  for (const file of flags.input ?? []) {
    const reader = await openUsageReader(file, readOptionsOf(flags));
    const summary = await ingestUsage(reader, store, { owner: LOCAL_OWNER, corpus: INPUT_CORPUS, price: (r) => book.price(r) });
    if (!flags.json) process.stderr.write(`apex analyze: ${file} (${summary.format}): ${summary.ingested} records, ${summary.rejected} rejected\n`);
    summaries.push({ file, ...summary });
  }
  return summaries;
}

/** Ingest rejections belong in the report's data quality: the agents only see what made it into the store. */
function withIngestQuality(report: Report, summaries: readonly (IngestSummary & { file: string })[]): Report {
  const rejected = summaries.reduce((s, x) => s + x.rejected, 0);
  const warnings = summaries.flatMap((s) => [
    ...s.rejections.slice(0, SHOWN_REJECTIONS).map((r) => `${s.file} line ${r.line} rejected: ${r.reason}`),
    ...(s.rejected > SHOWN_REJECTIONS ? [`${s.file}: ${s.rejected - SHOWN_REJECTIONS} more lines rejected`] : []),
    ...(s.cost_mismatches > 0 ? [`${s.file}: ${s.cost_mismatches} records report a cost more than 1% off the recomputed one`] : []),
  ]);
  return ReportSchema.parse({
    ...report,
    data_quality: { ...report.data_quality, rejected: report.data_quality.rejected + rejected, warnings: [...report.data_quality.warnings, ...warnings] },
  });
}

async function runAnalyze(flags: AnalyzeFlags): Promise<void> {
  checkFlags(flags);
  const { book } = loadPriceBook(flags.prices);
  const fromFiles = (flags.input ?? []).length > 0;
  const store = fromFiles
    ? await openUsageStore({ path: ":memory:" })
    : await openUsageStore({ databaseUrl: process.env[EnvVar.DATABASE_URL] || undefined, dataDir: resolveDataDir(flags.dataDir) });
  try {
    const summaries = await ingestInputs(flags, store, book);
    const sink = new MemoryEventSink();
    const stop = sink.subscribe(LOCAL_OWNER, (event) => {
      if (event.type === EventType.AGENT_THINKING) process.stderr.write(`[${event.data.agent_name}] ${event.data.thought}\n`);
      if (event.type === EventType.AGENT_ERROR) process.stderr.write(`[${event.data.agent_name}] failed: ${event.data.error.message}\n`);
    });
    const factory = createApexFactory({ usage: store, prices: book, llm: llmConfigFromEnv(process.env), sink });
    const handle = factory.start({ userId: LOCAL_OWNER, threadId: "apex-analyze", request: flags.question });
    const outcome = await handle.done;
    stop();
    if (outcome.status !== "completed") {
      throw outcome.error ?? new ApexError(ErrorCode.INTERNAL, `The analysis ended as ${outcome.status} without a report.`);
    }
    const final = sink.events(handle.runId, LOCAL_OWNER).find((e) => e.type === EventType.FINAL_REPORT);
    if (final?.type !== EventType.FINAL_REPORT) throw new ApexError(ErrorCode.INTERNAL, "The analysis finished without a report; please report this as a bug.");
    const report = withIngestQuality(final.data.report, summaries);
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : reportMarkdown(report));
  } finally {
    await store.close();
  }
}
