import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { cpuShare } from "../../test/server/health-probe.ts";
import { fixturePath } from "./formats/fixtures/read-all.ts";
import { openUsageReaderInWorker } from "./read-usage-in-worker.ts";
import { openUsageReader, REJECT_FLOOR, REJECT_RATIO, type ReadItem } from "./read-usage.ts";

const dir = mkdtempSync(join(tmpdir(), "apex-read-worker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function drain(items: AsyncIterable<ReadItem>): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function canonicalLine(i: number): string {
  return JSON.stringify({ id: `r${i}`, timestamp: "2025-01-01T00:00:00Z", model: "gpt-4o", input_tokens: 10, output_tokens: 1 });
}

/** A gzip file that keeps a reader busy for many seconds: one record in REJECT_RATIO - 1 junk lines, never given up. */
function busyFile(name: string, blocks: number): string {
  const block = `${canonicalLine(0)}\n${"junk line here\n".repeat(REJECT_RATIO - 1)}`;
  const path = join(dir, name);
  writeFileSync(path, gzipSync(block.repeat(blocks), { level: 1 }));
  return path;
}

describe("openUsageReaderInWorker", () => {
  it("reads a file in a worker thread into the same items, format and bytes as the reader in this thread", async () => {
    const path = join(dir, "openai.jsonl.gz");
    writeFileSync(path, gzipSync(readFileSync(fixturePath("openai.jsonl"))));
    const here = await openUsageReader(path);
    const expected = await drain(here.items);
    const there = await openUsageReaderInWorker(path);
    expect(there.format).toBe(here.format);
    expect(await drain(there.items)).toEqual(expected);
    expect(there.bytesRead()).toBe(statSync(path).size);
  });

  it("carries the reader's typed errors across the thread, at open and mid-file", async () => {
    await expect(openUsageReaderInWorker(join(dir, "missing.jsonl"))).rejects.toMatchObject({
      code: ErrorCode.FILE_NOT_FOUND,
      message: expect.stringContaining("missing.jsonl"),
    });
    const unknown = join(dir, "unknown.csv");
    writeFileSync(unknown, "name,age\nada,36\n");
    await expect(openUsageReaderInWorker(unknown)).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_FORMAT });
    const junk = join(dir, "junk.jsonl");
    writeFileSync(junk, `${canonicalLine(0)}\n${"junk\n".repeat(50_000)}`);
    const reader = await openUsageReaderInWorker(junk);
    const seen: ReadItem[] = [];
    const error = await (async () => {
      for await (const item of reader.items) seen.push(item);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApexError);
    expect(error).toMatchObject({ code: ErrorCode.TOO_MANY_REJECTIONS, details: { records_read: 1 } });
    // Every item read before the error arrives first, as from the reader in this thread.
    expect(seen).toHaveLength(REJECT_FLOOR);
  });

  it("reads ahead only a few batches of a consumer that waits (backpressure)", async () => {
    const path = join(dir, "many.jsonl");
    writeFileSync(path, `${Array.from({ length: 50_000 }, (_, i) => canonicalLine(i)).join("\n")}\n`);
    const reader = await openUsageReaderInWorker(path);
    const iterator = reader.items[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ kind: "record", line: 1 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(reader.bytesRead()).toBeLessThan(statSync(path).size / 4);
    await reader.close();
  });

  it("stops the thread when the signal aborts: the items throw its reason and the CPU falls back", async () => {
    const path = busyFile("busy.jsonl.gz", 200_000);
    const abort = new AbortController();
    const reader = await openUsageReaderInWorker(path, {}, { signal: abort.signal });
    const reading = drain(reader.items);
    const busy = await cpuShare(500);
    const reason = new ApexError(ErrorCode.INGEST_TIMEOUT, "too long");
    abort.abort(reason);
    await expect(reading).rejects.toBe(reason);
    // Relative to the busy share, so that a loaded machine (less CPU for everyone) does not fail it.
    expect(await cpuShare(500)).toBeLessThan(Math.max(0.1, busy / 3));
  });

  it("stops the thread on close(), read to the end or not; an aborted signal opens nothing", async () => {
    const path = busyFile("busy-close.jsonl.gz", 200_000);
    const reader = await openUsageReaderInWorker(path);
    const iterator = reader.items[Symbol.asyncIterator]();
    const reading = (async () => {
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next());
    })();
    const busy = await cpuShare(500);
    await reader.close();
    await expect(reading).rejects.toMatchObject({ code: ErrorCode.CANCELLED });
    expect(await cpuShare(500)).toBeLessThan(Math.max(0.1, busy / 3));
    const aborted = new AbortController();
    aborted.abort();
    await expect(openUsageReaderInWorker(path, {}, { signal: aborted.signal })).rejects.toMatchObject({ code: ErrorCode.CANCELLED });
  });
});
