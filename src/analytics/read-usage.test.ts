import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/names.ts";
import { fixturePath, readFixture, readLines } from "./formats/fixtures/read-all.ts";
import { DETECTION_SAMPLE, openUsageReader, readUsageLines, REJECT_FLOOR, REJECT_RATIO, type ReadItem, type ReadOptions } from "./read-usage.ts";

const dir = mkdtempSync(join(tmpdir(), "apex-read-usage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mooncakeLine(i: number): string {
  return JSON.stringify({ timestamp: i * 1000, input_length: 1000 + i, output_length: 10, hash_ids: [0, i] });
}

async function drain(items: AsyncIterable<ReadItem>): Promise<ReadItem[]> {
  const out: ReadItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe("openUsageReader", () => {
  it("reads a gzip file, told by its magic bytes, and counts the compressed bytes read", async () => {
    const text = readFileSync(fixturePath("openai.jsonl"));
    const path = join(dir, "openai.log");
    const compressed = gzipSync(text);
    writeFileSync(path, compressed);
    const reader = await openUsageReader(path);
    expect(reader.format).toBe("openai");
    const items = await drain(reader.items);
    expect(items.filter((i) => i.kind === "record")).toHaveLength(4);
    expect(items.filter((i) => i.kind === "rejected").map((i) => i.line)).toEqual([3, 4, 7]);
    expect(reader.bytesRead()).toBe(compressed.length);
  });

  it("reports a truncated gzip file as corrupt instead of ending quietly", async () => {
    const compressed = gzipSync(readFileSync(fixturePath("openai.jsonl")));
    const path = join(dir, "truncated.jsonl.gz");
    writeFileSync(path, compressed.subarray(0, compressed.length - 20));
    const error = await openUsageReader(path)
      .then((reader) => drain(reader.items))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.CORRUPT_FILE });
  });

  it("reads a file holding one top-level JSON array, element by element", async () => {
    const result = await readFixture("litellm.json");
    expect(result.format).toBe("litellm");
    expect(result.records).toHaveLength(3);
    expect(result.lines).toEqual([2, 37, 55]);
  });

  it("fails with file_not_found naming the path", async () => {
    const path = join(dir, "missing.jsonl");
    await expect(openUsageReader(path)).rejects.toMatchObject({
      code: ErrorCode.FILE_NOT_FOUND,
      message: expect.stringContaining(path),
    });
  });

  it("fails with no_usage_data on an empty file under auto detection, and reads nothing under a given format", async () => {
    const path = join(dir, "empty.jsonl");
    writeFileSync(path, "\n  \n");
    await expect(openUsageReader(path)).rejects.toMatchObject({ code: ErrorCode.NO_USAGE_DATA });
    expect(await drain((await openUsageReader(path, { format: "canonical" })).items)).toEqual([]);
  });

  it("refuses a format name it does not know, listing the supported ones", async () => {
    const options = { format: "splunk" } as unknown as ReadOptions;
    await expect(openUsageReader(fixturePath("openai.jsonl"), options)).rejects.toMatchObject({
      code: ErrorCode.UNKNOWN_FORMAT,
      message: expect.stringMatching(/supported formats: otel, .*, canonical/),
    });
  });

  it("rejects an invalid start time before reading", async () => {
    await expect(openUsageReader(fixturePath("anthropic.jsonl"), { startTime: "soon" })).rejects.toMatchObject({
      code: ErrorCode.INVALID_REQUEST,
    });
  });
});

describe("readUsageLines", () => {
  it("yields the first record before the source is read to the end (it streams)", async () => {
    const limit = DETECTION_SAMPLE + 5;
    let consumed = 0;
    function* lines(): Generator<string> {
      for (let i = 0; ; i++) {
        if (i >= limit) throw new Error(`read past line ${limit}: the reader is not streaming`);
        consumed = i + 1;
        yield mooncakeLine(i);
      }
    }
    const reader = await readUsageLines(lines(), { model: "m" });
    const iterator = reader.items[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toMatchObject({ kind: "record", line: 1, record: { input_tokens: 1000 } });
    expect(consumed).toBeLessThanOrEqual(DETECTION_SAMPLE + 1);
    await iterator.return?.();
  });

  it("keeps going past bad lines: bad JSON, negative tokens, cached > input, each with its line number", async () => {
    const result = await readLines([
      '{"id":"a","timestamp":"2025-01-01T00:00:00Z","model":"gpt-4o","input_tokens":10,"output_tokens":1}',
      '{"id":"b","timestamp":"2025-01-01T00:00:00Z","model":"gpt-4o","input_tokens":10,',
      '{"id":"c","timestamp":"2025-01-01T00:00:00Z","model":"gpt-4o","input_tokens":-1,"output_tokens":1}',
      '{"id":"d","timestamp":"2025-01-01T00:00:00Z","model":"gpt-4o","input_tokens":10,"output_tokens":1,"cache_read_tokens":8,"cache_write_tokens":5}',
      '{"id":"e","timestamp":"not a time","model":"gpt-4o","input_tokens":10,"output_tokens":1}',
      "[1, 2]",
      '{"id":"f","timestamp":"2025-01-01T00:00:00Z","model":"gpt-4o","input_tokens":10,"output_tokens":1}',
    ]);
    expect(result.records.map((r) => r.id)).toEqual(["a", "f"]);
    expect(result.rejected).toEqual([
      { line: 2, reason: expect.stringMatching(/^invalid JSON/) as unknown as string },
      { line: 3, reason: expect.stringMatching(/^input_tokens: Too small/) as unknown as string },
      {
        line: 4,
        reason: "cache_read_tokens + cache_write_tokens (13) exceeds input_tokens (10); input_tokens must include cached tokens",
      },
      { line: 5, reason: expect.stringMatching(/^timestamp: /) as unknown as string },
      { line: 6, reason: "not a JSON object" },
    ]);
  });

  it("rejects a later line of another format instead of mis-reading it", async () => {
    const lines = Array.from({ length: DETECTION_SAMPLE + 3 }, (_, i) => mooncakeLine(i));
    lines.push('{"TIMESTAMP":"2023-11-16 18:17:03.9799600","ContextTokens":4808,"GeneratedTokens":10}');
    const result = await readLines(lines, { model: "m" });
    expect(result.records).toHaveLength(DETECTION_SAMPLE + 3);
    expect(result.rejected).toEqual([
      { line: DETECTION_SAMPLE + 4, reason: "looks like azure-trace, not mooncake: a file must hold one format" },
    ]);
  });

  it("fills model, feature and provider from the options only where the source has none", async () => {
    const result = await readLines(
      [
        '{"id":"a","timestamp":"2025-01-01T00:00:00Z","model":"gpt-4o","provider":"azure","feature":"f1","input_tokens":1,"output_tokens":1}',
        '{"id":"b","timestamp":"2025-01-01T00:00:00Z","model":"","input_tokens":1,"output_tokens":1}',
      ],
      { format: "canonical", model: "fallback-model", feature: "f2", provider: "openai" },
    );
    expect(result.records.map((r) => [r.model, r.feature, r.provider])).toEqual([
      ["gpt-4o", "f1", "azure"],
      ["fallback-model", "f2", "openai"],
    ]);
  });
});

describe("bounds on what a file may cost", () => {
  function canonicalLine(i: number): string {
    return JSON.stringify({ id: `r${i}`, timestamp: "2025-01-01T00:00:00Z", model: "gpt-4o", input_tokens: 10, output_tokens: 1 });
  }

  it("gives up a file that is mostly junk early, with too_many_rejections naming the first bad line", async () => {
    // Issue 13: 32 good lines then junk was read to its end (300 MB: 83 s of CPU for 32 records).
    let consumed = 0;
    function* lines(): Generator<string> {
      for (let i = 0; i < 32; i++) yield canonicalLine(i);
      for (let i = 0; i < 1_000_000; i++) {
        consumed = i;
        yield "junk line here";
      }
    }
    const reader = await readUsageLines(lines());
    const error = await drain(reader.items).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: ErrorCode.TOO_MANY_REJECTIONS,
      message: expect.stringContaining("first rejected, line 33: invalid JSON"),
      details: { records_read: 32, rejected: REJECT_FLOOR },
    });
    expect(consumed).toBeLessThan(2 * REJECT_FLOOR);
  });

  it("reads a real file with a fair share of bad lines to the end", async () => {
    // One bad line in REJECT_RATIO - 1 good ones, well past the floor: never given up.
    const lines = Array.from({ length: REJECT_FLOOR * REJECT_RATIO }, (_, i) => (i % (REJECT_RATIO - 1) === 1 ? '{"broken": }' : canonicalLine(i)));
    const result = await readLines(lines);
    expect(result.rejected.length + result.records.length).toBe(lines.length);
    expect(result.rejected.length).toBeGreaterThan(REJECT_FLOOR);
  });

  it("stops a gzip file past the inflated bound with upload_too_large", async () => {
    const path = join(dir, "inflates.jsonl.gz");
    writeFileSync(path, gzipSync(`${canonicalLine(0)}\n${"\n".repeat(8 * 1024 * 1024)}${canonicalLine(1)}\n`));
    const error = await openUsageReader(path, { maxInflatedBytes: 1024 * 1024 })
      .then((reader) => drain(reader.items))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.UPLOAD_TOO_LARGE, details: { inflated_limit_bytes: 1024 * 1024 } });
  });

  it("rejects a line past maxEntryChars with its number and reads on", async () => {
    const long = JSON.stringify({ id: "long", timestamp: "2025-01-01T00:00:00Z", model: "gpt-4o", input_tokens: 1, output_tokens: 1, tags: ["x".repeat(4096)] });
    const result = await readLines([canonicalLine(0), long, canonicalLine(2)], { maxEntryChars: 1024 });
    expect(result.records.map((r) => r.id)).toEqual(["r0", "r2"]);
    expect(result.rejected).toEqual([{ line: 2, reason: "entry longer than 1024 characters; skipped" }]);
  });
});
