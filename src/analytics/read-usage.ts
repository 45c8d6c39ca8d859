import { ApexError, isApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { mapperFor } from "./formats/catalog.ts";
import { detectFormat, formatOf, type SampledItem } from "./formats/detect-format.ts";
import { entriesOf, HEAD_CHARS, openContainer } from "./formats/entry-stream.ts";
import {
  FORMAT_NAMES,
  isPartRejection,
  type FormatMapper,
  type FormatName,
  type FormatOptions,
} from "./formats/format.ts";
import type { SourceEntry } from "./formats/source-entry.ts";
import { isObject, readTimestamp } from "./formats/source-values.ts";
import { UsageRecordSchema, type UsageRecord, type UsageRecordInput } from "./record.ts";
import { openUsageText } from "./usage-file.ts";

// The streaming usage reader: a file (plain or gzip; JSON Lines, a JSON array or document, or CSV) → validated
// canonical records, one at a time, each bad line reported with its number and reason while the others go on.
// Memory holds one entry at a time (plus the auto-detection sample), whatever the file size, and the work is linear in
// it: detection reads a bounded head, an entry past `maxEntryChars` is skipped, and a file that is mostly junk is given
// up early (REJECT_FLOOR, REJECT_RATIO).

export { FORMAT_NAMES, type FormatName } from "./formats/format.ts";

export interface ReadOptions extends FormatOptions {
  /** The source format; "auto" (the default) detects it from the first entries. */
  format?: FormatName | "auto";
  /** The longest entry (JSON line or element, CSV row) read, in characters; a longer one is rejected and skipped. */
  maxEntryChars?: number;
  /** The most bytes the file may inflate to (gzip; the size of a plain one); past it, `upload_too_large`. */
  maxInflatedBytes?: number;
}

export type ReadItem =
  | { kind: "record"; line: number; record: UsageRecord }
  | { kind: "rejected"; line: number; reason: string };

export interface UsageReader {
  /** The format read (the detected one under "auto"). */
  readonly format: FormatName;
  /** Records and rejections in file order; iterate once. */
  readonly items: AsyncIterable<ReadItem>;
  /** Bytes consumed from the source so far (compressed bytes for gzip), for progress. */
  bytesRead(): number;
  /** Release the file when the items are not read to the end. */
  close(): Promise<void>;
}

/** Entries sampled for auto detection; sampling also stops past HEAD_CHARS of text once it holds one entry. */
export const DETECTION_SAMPLE = 32;
/**
 * A file is given up as mostly junk (`too_many_rejections`) once at least REJECT_FLOOR entries were rejected and they
 * are more than REJECT_RATIO times the records read: a real file with some bad lines never comes near, and the work
 * wasted on junk stays within about ten times the useful work.
 */
export const REJECT_FLOOR = 10_000;
export const REJECT_RATIO = 10;
const SHOWN_REASON_CHARS = 200;

function describeIssues(error: { issues: readonly { path: PropertyKey[]; message: string; code: string }[] }): string {
  return error.issues
    .map((issue) =>
      issue.code === "custom" || issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`,
    )
    .join("; ");
}

function validate(input: UsageRecordInput, options: ReadOptions, mapper: FormatMapper): UsageRecord | string {
  const filled: UsageRecordInput = {
    ...input,
    model: input.model === "" || input.model === undefined ? (options.model ?? "") : input.model,
    feature: input.feature ?? options.feature,
    provider: input.provider ?? options.provider,
  };
  if (filled.model === "") return `no model name in the ${mapper.name} entry: pass the model these calls used`;
  const parsed = UsageRecordSchema.safeParse(filled);
  if (!parsed.success) return describeIssues(parsed.error);
  // One spelling of time for every format: UTC with milliseconds, whatever offset the source wrote.
  return { ...parsed.data, timestamp: new Date(parsed.data.timestamp).toISOString() };
}

function* mapEntry(entry: SourceEntry, mapper: FormatMapper, options: ReadOptions): Generator<ReadItem> {
  const { line } = entry;
  if ("error" in entry) {
    yield { kind: "rejected", line, reason: entry.error };
    return;
  }
  if (!isObject(entry.item)) {
    yield { kind: "rejected", line, reason: "not a JSON object" };
    return;
  }
  const other = mapper.matches(entry.item) ? undefined : formatOf(entry.item);
  if (other !== undefined && other !== mapper.name) {
    yield { kind: "rejected", line, reason: `looks like ${other}, not ${mapper.name}: a file must hold one format` };
    return;
  }
  let parts;
  try {
    parts = mapper.map(entry.item, options);
  } catch (error) {
    const reason = isApexError(error) ? error.message : `could not map the entry: ${(error as Error).message}`;
    yield { kind: "rejected", line, reason };
    return;
  }
  for (const part of parts) {
    if (isPartRejection(part)) {
      yield { kind: "rejected", line, reason: part.rejected };
      continue;
    }
    const result = validate(part, options, mapper);
    if (typeof result === "string") {
      const reason = parts.length > 1 ? `record ${String(part.id)}: ${result}` : result;
      yield { kind: "rejected", line, reason };
    } else {
      yield { kind: "record", line, record: result };
    }
  }
}

function mostlyRejected(source: string, mapper: FormatMapper, counts: { records: number; rejected: number }, first: ReadItem & { kind: "rejected" }, line: number): ApexError {
  const reason = first.reason.length > SHOWN_REASON_CHARS ? `${first.reason.slice(0, SHOWN_REASON_CHARS)}…` : first.reason;
  return new ApexError(
    ErrorCode.TOO_MANY_REJECTIONS,
    `Stopped reading ${source} at line ${line}: ${counts.rejected} entries were rejected and ${counts.records} read as ` +
      `${mapper.name} records (first rejected, line ${first.line}: ${reason}). Check that it is a usage file of one ` +
      `format, or pass its format; supported formats: ${FORMAT_NAMES.join(", ")}.`,
    { details: { records_read: counts.records, rejected: counts.rejected, line, first_rejection: { line: first.line, reason } } },
  );
}

async function* mapEntries(entries: AsyncIterable<SourceEntry>, mapper: FormatMapper, options: ReadOptions, source: string) {
  const counts = { records: 0, rejected: 0 };
  let first: (ReadItem & { kind: "rejected" }) | undefined;
  for await (const entry of entries) {
    for (const item of mapEntry(entry, mapper, options)) {
      if (item.kind === "record") {
        counts.records += 1;
      } else {
        counts.rejected += 1;
        first ??= item;
        if (counts.rejected >= REJECT_FLOOR && counts.rejected > REJECT_RATIO * counts.records) {
          throw mostlyRejected(source, mapper, counts, first, item.line);
        }
      }
      yield item;
    }
  }
}

/** The text passed through, counted in characters, so detection can stop at a bounded head. */
async function* counted(text: AsyncIterable<string>, count: { chars: number }): AsyncGenerator<string> {
  for await (const chunk of text) {
    count.chars += chunk.length;
    yield chunk;
  }
}

async function* prepend<T>(head: readonly T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield* head;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}

function checkOptions(mapper: FormatMapper, options: ReadOptions): void {
  if (mapper.needsModel === true && (options.model === undefined || options.model === "")) {
    throw new ApexError(
      ErrorCode.INVALID_REQUEST,
      `The ${mapper.name} format names no model: pass the model these calls used (and a feature name, if you like).`,
    );
  }
  if (options.startTime !== undefined) {
    try {
      readTimestamp(options.startTime, "startTime");
    } catch (error) {
      const message = `The start time ${options.startTime} is not an ISO 8601 date-time.`;
      throw new ApexError(ErrorCode.INVALID_REQUEST, message, { cause: error });
    }
  }
}

/** Detect (or take) the format, check the options, and set up the lazy item stream. */
async function readerOver(
  text: AsyncIterable<string>,
  source: string,
  options: ReadOptions,
  io: { bytesRead(): number; close(): Promise<void> },
): Promise<UsageReader> {
  if (options.format !== undefined && options.format !== "auto" && !FORMAT_NAMES.includes(options.format)) {
    const message = `Unknown usage format "${String(options.format)}"; supported formats: ${FORMAT_NAMES.join(", ")}.`;
    throw new ApexError(ErrorCode.UNKNOWN_FORMAT, message, { details: { supported: [...FORMAT_NAMES] } });
  }
  const read = { chars: 0 };
  const { container, text: replayed } = await openContainer(counted(text, read), source);
  let entries = entriesOf(container, replayed, options.maxEntryChars);
  let format: FormatName;
  if (options.format !== undefined && options.format !== "auto") {
    format = options.format;
  } else {
    const iterator = entries[Symbol.asyncIterator]();
    const sample: SourceEntry[] = [];
    while (sample.length < DETECTION_SAMPLE && !(sample.length > 0 && read.chars > HEAD_CHARS)) {
      const next = await iterator.next();
      if (next.done === true) break;
      sample.push(next.value);
    }
    const items = sample.filter((e): e is SampledItem & SourceEntry => "item" in e);
    if (sample.length === 0) {
      const message = `${source} holds no usage entries: check that it is the right file.`;
      throw new ApexError(ErrorCode.NO_USAGE_DATA, message);
    }
    format = detectFormat(items, source);
    entries = prepend(sample, iterator);
  }
  const mapper = mapperFor(format);
  checkOptions(mapper, options);
  return { format, items: mapEntries(entries, mapper, options, source), bytesRead: io.bytesRead, close: io.close };
}

/** Open a usage file (plain or gzip, detected by its magic bytes) and read it lazily, in this thread. */
export async function openUsageReader(path: string, options: ReadOptions = {}): Promise<UsageReader> {
  const file = await openUsageText(path, options.maxInflatedBytes);
  try {
    return await readerOver(file.text, path, options, file);
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** Read usage from lines already in memory or streamed from elsewhere (an upload, a test). */
export async function readUsageLines(
  lines: AsyncIterable<string> | Iterable<string>,
  options: ReadOptions = {},
  source = "the uploaded data",
): Promise<UsageReader> {
  let bytes = 0;
  async function* text(): AsyncGenerator<string> {
    for await (const line of lines) {
      bytes += Buffer.byteLength(line) + 1;
      yield `${line}\n`;
    }
  }
  return readerOver(text(), source, options, { bytesRead: () => bytes, close: async () => undefined });
}
