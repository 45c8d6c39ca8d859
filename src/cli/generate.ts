import { once } from "node:events";
import { accessSync, constants, createWriteStream, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { finished } from "node:stream/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { type AnswerKey } from "../analytics/generator/answer-key.ts";
import { SCENARIOS, type ScenarioName } from "../analytics/generator/saas-scenario.ts";
import { DEFAULT_START, generateWorkload } from "../analytics/generator/workload.ts";
import { FORMAT_NAMES, type FormatName } from "../analytics/formats/format.ts";
import { sourceWriterFor, WRITABLE_FORMATS, type SourceWriter, type WriteContainer } from "../analytics/formats/source-writer.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { loadPriceBook, PRICES_OPTION_HELP } from "./price-book-option.ts";

// `apex generate`: a synthetic usage log with planted waste, and the answer key that says where it is and what it is
// worth, priced with the bundled table (or --prices). Records stream to the file as they are made, in canonical JSONL
// or any per-call ingest format (CSV when --out ends in .csv and the format has a CSV export). The answer key names
// records by the ids `apex ingest` reads back from that file.

const CHUNK_CHARS = 1 << 16;
const PROGRESS_EVERY_MS = 250;

interface GenerateFlags {
  scenario: ScenarioName;
  records: number;
  days: number;
  seed: number;
  out: string;
  answerKey?: string;
  format: FormatName;
  prices?: string;
  start: string;
}

function wholeNumber(name: string, min: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min) {
      throw new InvalidArgumentError(`${name} must be a whole number of at least ${min}.`);
    }
    return parsed;
  };
}

function positiveDays(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError("Days must be a number above 0 (fractions allowed, e.g. 0.5).");
  }
  return parsed;
}

export function registerGenerateCommand(program: Command): void {
  program
    .command("generate")
    .description("write a synthetic LLM usage log with planted waste (canonical JSONL or another format) and its answer key")
    .addOption(new Option("--scenario <name>", "traffic to generate").choices(SCENARIOS).makeOptionMandatory())
    .requiredOption("--records <n>", "number of records to write", wholeNumber("Records", 1))
    .option("--days <d>", "length of the period the records cover", positiveDays, 30)
    .requiredOption("--seed <s>", "seed: the same seed gives byte-identical files", wholeNumber("Seed", 0))
    .requiredOption("--out <file>", "file to write the records to (JSON Lines; CSV when it ends in .csv)")
    .option("--answer-key <file>", "JSON file to write the answer key to")
    .addOption(
      new Option("--format <format>", `record format; one call a record: ${WRITABLE_FORMATS.join(", ")}`)
        .choices(FORMAT_NAMES)
        .default("canonical"),
    )
    .option("--prices <file>", PRICES_OPTION_HELP)
    .option("--start <time>", "ISO 8601 start of the period", DEFAULT_START)
    .action(async (flags: GenerateFlags) => {
      await runGenerate(flags);
    });
}

function checkWritable(file: string, flag: string): void {
  try {
    accessSync(dirname(resolve(file)), constants.W_OK);
  } catch (error) {
    throw new ApexError(
      ErrorCode.FILE_NOT_FOUND,
      `Cannot write ${flag} ${file}: its directory does not exist or is not writable. Create it or pick another path.`,
      { cause: error },
    );
  }
}

function progressReporter(total: number): { tick(done: number): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let lastQuarter = 0;
  const line = (done: number) => `apex generate: ${done.toLocaleString("en-US")} / ${total.toLocaleString("en-US")} records (${Math.floor((100 * done) / total)}%)`;
  return {
    tick(done) {
      if (tty) {
        const now = Date.now();
        if (now - last >= PROGRESS_EVERY_MS) {
          last = now;
          process.stderr.write(`\r${line(done)}`);
        }
      } else if (Math.floor((4 * done) / total) > lastQuarter) {
        lastQuarter = Math.floor((4 * done) / total);
        process.stderr.write(`${line(done)}\n`);
      }
    },
    end() {
      if (tty) process.stderr.write(`\r${line(total)}\n`);
    },
  };
}

/** The answer key with its record ids as the reader will give them back from the written file. */
function keyAsRead(key: AnswerKey, writer: SourceWriter): AnswerKey {
  const opportunities = key.opportunities.map((o) => ({ ...o, record_ids: o.record_ids.map((id) => writer.readId(id)) }));
  return { ...key, opportunities };
}

async function runGenerate(flags: GenerateFlags): Promise<void> {
  const startedAt = performance.now();
  const writer = sourceWriterFor(flags.format, /\.csv$/i.test(flags.out) ? "csv" : "json-lines");
  const { book, source } = loadPriceBook(flags.prices);
  checkWritable(flags.out, "--out");
  if (flags.answerKey !== undefined) checkWritable(flags.answerKey, "--answer-key");
  const workload = generateWorkload({
    scenario: flags.scenario,
    records: flags.records,
    days: flags.days,
    seed: flags.seed,
    start: flags.start,
    price: (record) => book.price(record).computed_cost_usd,
    priceSource: source,
  });
  const progress = progressReporter(flags.records);
  const out = createWriteStream(flags.out);
  let writeError: Error | undefined;
  out.on("error", (error) => {
    writeError = error;
  });
  let chunk = writer.head;
  let written = 0;
  for (const record of workload.records()) {
    chunk += writer.line(record);
    written += 1;
    if (chunk.length >= CHUNK_CHARS) {
      if (!out.write(chunk)) await once(out, "drain").catch(() => undefined); // an error is kept by the listener
      chunk = "";
      if (writeError !== undefined) break;
      progress.tick(written);
    }
  }
  out.end(chunk);
  await finished(out).catch((error: unknown) => {
    writeError ??= error as Error;
  });
  if (writeError !== undefined) {
    throw new ApexError(ErrorCode.INTERNAL, `Writing ${flags.out} failed: ${writeError.message}. Check the disk and retry.`, {
      cause: writeError,
    });
  }
  progress.end();
  const key = keyAsRead(workload.answerKey(), writer);
  if (flags.answerKey !== undefined) writeFileSync(flags.answerKey, `${JSON.stringify(key, null, 2)}\n`);
  const seconds = (performance.now() - startedAt) / 1000;
  console.error(summary(flags, writer.container, key, written, seconds, book.unpricedModels()));
}

function summary(
  flags: GenerateFlags,
  container: WriteContainer,
  key: AnswerKey,
  written: number,
  seconds: number,
  unpriced: string[],
): string {
  const savings = key.opportunities.reduce((sum, o) => sum + (o.true_monthly_savings_usd ?? 0), 0);
  return [
    `apex generate: wrote ${written.toLocaleString("en-US")} ${flags.scenario} records to ${flags.out} ` +
      `(${flags.format}, ${container === "csv" ? "CSV" : "JSON Lines"}) in ${seconds.toFixed(1)} s`,
    `  monthly cost $${key.totals.monthly_cost_usd.toFixed(2)}, ${key.opportunities.length} planted kinds worth $${savings.toFixed(2)}/month` +
      (flags.answerKey === undefined ? "" : ` (answer key: ${flags.answerKey})`),
    ...(unpriced.length > 0 ? [`  unpriced models (left out of costs): ${unpriced.join(", ")}`] : []),
  ].join("\n");
}
