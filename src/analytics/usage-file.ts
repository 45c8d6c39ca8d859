import { open, type FileHandle } from "node:fs/promises";
import { pipeline, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { ApexError, isApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";

// A usage file as text: plain or gzip (told by its magic bytes), decoded as UTF-8 chunk by chunk, with a bound on the
// bytes it may inflate to, since a few MB of gzip can hold GBs of text.

const GZIP_MAGIC = [0x1f, 0x8b] as const;
const READ_CHUNK_BYTES = 256 * 1024;

export interface UsageText {
  readonly text: AsyncIterable<string>;
  /** Bytes consumed from the file so far (compressed bytes for gzip), for progress. */
  bytesRead(): number;
  /** Release the file when the text is not read to the end. */
  close(): Promise<void>;
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

function tooLarge(path: string, limit: number): ApexError {
  return new ApexError(
    ErrorCode.UPLOAD_TOO_LARGE,
    `${path} inflates to more than ${limit} bytes, the most one file may hold uncompressed (${EnvVar.UPLOAD_INFLATED_LIMIT_BYTES}); split it into smaller files.`,
    { details: { inflated_limit_bytes: limit } },
  );
}

async function* decode(stream: Readable, path: string, maxInflatedBytes: number): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8");
  let inflated = 0;
  try {
    for await (const chunk of stream) {
      inflated += (chunk as Buffer).length;
      if (inflated > maxInflatedBytes) throw tooLarge(path, maxInflatedBytes);
      yield decoder.decode(chunk as Buffer, { stream: true });
    }
  } catch (error) {
    if (isApexError(error)) throw error;
    const message = `${path} could not be read to the end (${(error as Error).message}): is the file complete?`;
    throw new ApexError(ErrorCode.CORRUPT_FILE, message, { cause: error, details: { path } });
  }
  const tail = decoder.decode();
  if (tail !== "") yield tail;
}

/** Opens a usage file as lazily decoded text; past `maxInflatedBytes` of content, reading throws upload_too_large. */
export async function openUsageText(path: string, maxInflatedBytes = Number.POSITIVE_INFINITY): Promise<UsageText> {
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
  return { text: decode(output, path, maxInflatedBytes), bytesRead: () => file.bytesRead, close };
}
