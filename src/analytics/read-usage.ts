import { open, type FileHandle } from "node:fs/promises";
import { pipeline, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { ApexError, isApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { mapperFor } from "./formats/catalog.ts";
import { detectFormat, formatOf, type SampledItem } from "./formats/detect-format.ts";
import { entriesOf, openContainer } from "./formats/entry-stream.ts";
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

// The streaming usage reader: a file (plain or gzip; JSON Lines, a JSON array or document, or CSV) → validated
// canonical records, one at a time, each bad line reported with its number and reason while the others go on.
// Memory holds one entry at a time (plus the auto-detection sample), whatever the file size.

export { FORMAT_NAMES, type FormatName } from "./formats/format.ts";

export interface ReadOptions extends FormatOptions {
  /** The source format; "auto" (the default) detects it from the first entries. */
  format?: FormatName | "auto";
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

/** Entries sampled for auto detection. */
export const DETECTION_SAMPLE = 32;
const GZIP_MAGIC = [0x1f, 0x8b] as const;
const READ_CHUNK_BYTES = 256 * 1024;

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

async function* mapEntries(entries: AsyncIterable<SourceEntry>, mapper: FormatMapper, options: ReadOptions) {
  for await (const entry of entries) yield* mapEntry(entry, mapper, options);
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
  const { container, text: replayed } = await openContainer(text);
  let entries = entriesOf(container, replayed);
  let format: FormatName;
  if (options.format !== undefined && options.format !== "auto") {
    format = options.format;
  } else {
    const iterator = entries[Symbol.asyncIterator]();
    const sample: SourceEntry[] = [];
    while (sample.length < DETECTION_SAMPLE) {
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
  return { format, items: mapEntries(entries, mapper, options), bytesRead: io.bytesRead, close: io.close };
}

async function openFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      const message = `No usage file at ${path}: check the path.`;
      throw new ApexError(ErrorCode.FILE_NOT_FOUND, message, { cause: error, details: { path } });
    }
    const message = `Cannot open ${path} (${code ?? "error"}): check the path and its permissions.`;
    throw new ApexError(ErrorCode.INVALID_REQUEST, message, { cause: error, details: { path } });
  }
}

async function isGzip(handle: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(2);
  const { bytesRead } = await handle.read(head, 0, 2, 0);
  return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

async function* decode(stream: Readable, path: string): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  try {
    for await (const chunk of stream) yield decoder.decode(chunk as Buffer, { stream: true });
  } catch (error) {
    if (isApexError(error)) throw error;
    const message = `${path} could not be read to the end (${(error as Error).message}): is the file complete?`;
    throw new ApexError(ErrorCode.CORRUPT_FILE, message, { cause: error, details: { path } });
  }
  const tail = decoder.decode();
  if (tail !== "") yield tail;
}

/** Open a usage file (plain or gzip, detected by its magic bytes) and read it lazily. */
export async function openUsageReader(path: string, options: ReadOptions = {}): Promise<UsageReader> {
  const handle = await openFile(path);
  let gzip: boolean;
  try {
    gzip = await isGzip(handle);
  } catch (error) {
    await handle.close();
    const message = `Cannot read ${path}: ${(error as Error).message}`;
    throw new ApexError(ErrorCode.INVALID_REQUEST, message, { cause: error });
  }
  // The stream owns the handle from here: destroying it closes the file.
  const file = handle.createReadStream({ start: 0, highWaterMark: READ_CHUNK_BYTES });
  let output: Readable = file;
  if (gzip) {
    const gunzip = createGunzip();
    pipeline(file, gunzip, () => undefined);
    output = gunzip;
  }
  const close = async () => {
    output.destroy();
    file.destroy();
  };
  try {
    return await readerOver(decode(output, path), path, options, { bytesRead: () => file.bytesRead, close });
  } catch (error) {
    await close();
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
