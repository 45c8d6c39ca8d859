import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/names.ts";
import { entriesOf, HEAD_CHARS, openContainer } from "./entry-stream.ts";
import type { SourceEntry } from "./source-entry.ts";

const CHUNK = 16 * 1024;

/** `head` then `bytes` of `unit`, in chunks of CHUNK characters (as a gzip stream decodes), counting those read. */
function stream(head: string, unit: string, bytes: number, counter = { chunks: 0 }): AsyncIterable<string> {
  const block = unit.repeat(CHUNK / unit.length);
  return (async function* () {
    counter.chunks += 1;
    yield head;
    for (let sent = 0; sent < bytes; sent += block.length) {
      counter.chunks += 1;
      yield block;
    }
  })();
}

async function read(parts: string[]): Promise<{ container: string; entries: SourceEntry[] }> {
  async function* text() {
    yield* parts;
  }
  const { container, text: replayed } = await openContainer(text());
  const entries: SourceEntry[] = [];
  for await (const entry of entriesOf(container, replayed)) entries.push(entry);
  return { container, entries };
}

describe("entry stream", () => {
  it("tells JSON Lines, JSON documents, CSV and empty input apart from the first characters", async () => {
    expect((await read(['{"a":1}\n', '{"a":2}\n'])).container).toBe("json-lines");
    expect((await read(['{"a": 1,', ' "b": 2}'])).container).toBe("json-lines");
    expect((await read(["\n  [", '{"a":1}]'])).container).toBe("json-document");
    expect((await read(["{\n", '  "a": 1\n}\n'])).container).toBe("json-document");
    expect((await read(["a,b\n1,2\n"])).container).toBe("csv");
    expect((await read(["  \n", ""])).container).toBe("empty");
  });

  it("keeps JSON Lines when the first line is broken, so one bad line does not change how the file is read", async () => {
    const { container, entries } = await read(['{"a": 1,}\n{"a": 2}\n']);
    expect(container).toBe("json-lines");
    expect(entries[1]).toEqual({ line: 2, item: { a: 2 } });
  });

  it("opens saved API pages so that each element of data is an entry with the page's line", async () => {
    const page = { object: "page", data: [{ n: 1 }, { n: 2 }], has_more: false, next_page: null };
    const notPage = { data: [1], model: "x" };
    const { entries } = await read([`${JSON.stringify(page)}\n${JSON.stringify(notPage)}\n`]);
    expect(entries).toEqual([
      { line: 1, item: { n: 1 } },
      { line: 1, item: { n: 2 } },
      { line: 2, item: notPage },
    ]);
  });

  it("refuses a blank head past HEAD_CHARS with no_usage_data, without reading further", async () => {
    // Issue 13: the whole head was searched again on every chunk and kept without bound (40 MB of gzipped blanks: 103 s).
    const read = { chunks: 0 };
    const error = await openContainer(stream("", " \n", 40 * 1024 * 1024, read), "blank.jsonl").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.NO_USAGE_DATA, message: expect.stringContaining("blank.jsonl") });
    expect(read.chunks).toBeLessThanOrEqual(HEAD_CHARS / CHUNK + 2);
  });

  it("tells a first line longer than the head is JSON without waiting for its end, and skips the value", async () => {
    // Issue 13: `{"a":"` and 60 MB with no newline took 130 s, the head being searched for a newline on every chunk.
    const read = { chunks: 0 };
    const { container, text } = await openContainer(stream('{"a":"', "x", 24 * 1024 * 1024, read));
    expect(container).toBe("json-document");
    expect(read.chunks).toBeLessThanOrEqual(HEAD_CHARS / CHUNK + 2);
    const entries: SourceEntry[] = [];
    for await (const entry of entriesOf(container, text, 1024 * 1024)) entries.push(entry);
    expect(entries).toEqual([{ line: 1, error: "entry longer than 1048576 characters; skipped" }]);
  });
});
