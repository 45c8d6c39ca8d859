import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvRecords } from "./csv-rows.ts";
import type { SourceEntry } from "./source-entry.ts";

async function read(chunks: Iterable<string>, maxChars?: number): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const entry of csvRecords(source(), maxChars)) out.push(entry);
  return out;
}

/** `text` in chunks of `size` characters, as a gzip stream decodes (16 KiB at a time). */
function* chunksOf(text: string, size = 16 * 1024): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

const TEXT =
  'a,b,c\r\n1,"x, y",3\r\n"multi\r\nline","say ""hi""",\r\n\r\nlast,"",z\r\n"no",trailing,"end"';

describe("csv rows", () => {
  const expected: SourceEntry[] = [
    { line: 2, item: { a: "1", b: "x, y", c: "3" } },
    { line: 3, item: { a: "multi\r\nline", b: 'say "hi"', c: "" } },
    { line: 6, item: { a: "last", b: "", c: "z" } },
    { line: 7, item: { a: "no", b: "trailing", c: "end" } },
  ];

  it("reads quoted commas, doubled quotes, quoted newlines, CRLF, blank lines and a last row without newline", async () => {
    expect(await read([TEXT])).toEqual(expected);
  });

  it("gives the same rows whatever the chunk boundaries (one character at a time)", async () => {
    expect(await read([...TEXT])).toEqual(expected);
    for (let cut = 1; cut < TEXT.length; cut++) {
      expect(await read([TEXT.slice(0, cut), TEXT.slice(cut)])).toEqual(expected);
    }
  });

  it("reads a row cut into hundreds of chunks in one pass (the open row is never parsed again)", async () => {
    // Issue 13: each chunk re-parsed the open row from its start, so a long quoted field cost quadratic time
    // (this 6 MiB row took minutes; one pass takes a fraction of a second).
    const quotes = 3 * 1024 * 1024;
    const text = `a,b\n"${'""'.repeat(quotes)}",x\n1,2\n`;
    const entries = await read(chunksOf(text));
    expect(entries).toHaveLength(2);
    expect(entries[0]).toEqual({ line: 2, item: { a: '"'.repeat(quotes), b: "x" } });
    expect(entries[1]).toEqual({ line: 3, item: { a: "1", b: "2" } });
  });

  it("reports a row longer than the bound with its line and goes on at the next line end", async () => {
    const text = `a,b\n1,2\n"${"x".repeat(5_000)}\n3,4\n5,"${"y".repeat(5_000)}"\n6,7\n`;
    const expected = [
      { line: 2, item: { a: "1", b: "2" } },
      { line: 3, error: "entry longer than 1000 characters; skipped" },
      { line: 4, item: { a: "3", b: "4" } },
      { line: 5, error: "entry longer than 1000 characters; skipped" },
      { line: 6, item: { a: "6", b: "7" } },
    ];
    expect(await read([text], 1_000)).toEqual(expected);
    expect(await read(chunksOf(text, 7), 1_000)).toEqual(expected);
  });

  it("skips an unclosed quote that runs to the end of a large input in linear time", async () => {
    // The bomb, scaled: a quote opened on line 2 and never closed, then megabytes of doubled quotes.
    const text = `a,b\n"${'""'.repeat(6 * 1024 * 1024)},x\n`;
    expect(await read(chunksOf(text), 1024 * 1024)).toEqual([{ line: 2, error: "entry longer than 1048576 characters; skipped" }]);
  });

  it("reports a row with the wrong number of fields and goes on; strips a BOM from the header", async () => {
    const entries = await read(["\uFEFFid,n\n1,2\n3\n4,5,6\n7,8\n"]);
    expect(entries).toEqual([
      { line: 2, item: { id: "1", n: "2" } },
      { line: 3, error: "row has 1 fields, the header has 2" },
      { line: 4, error: "row has 3 fields, the header has 2" },
      { line: 5, item: { id: "7", n: "8" } },
    ]);
  });
});

/** RFC 4180 writer for the property below: quote every cell that needs it. */
function toCsv(rows: string[][], eol: string): string {
  const cell = (v: string) => (/[",\r\n]/.test(v) || v === "" ? `"${v.replaceAll('"', '""')}"` : v);
  return rows.map((row) => row.map(cell).join(",")).join(eol) + eol;
}

/** Split text at the given cut points (sorted, deduplicated). */
function cutAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const parts: string[] = [];
  let from = 0;
  for (const p of points) {
    parts.push(text.slice(from, p));
    from = p;
  }
  parts.push(text.slice(from));
  return parts;
}

describe("csv rows (property)", () => {
  it("reads back any table written as RFC 4180, whatever the line ends and chunk boundaries", async () => {
    const cellChars = fc.constantFrom("a", "b", " ", ",", '"', "\n", "\r", "é", "1");
    const cellText = fc.array(cellChars, { maxLength: 6 }).map((chars) => chars.join(""));
    const table = fc
      .integer({ min: 1, max: 4 })
      .chain((width) =>
        fc.tuple(
          fc.uniqueArray(fc.stringMatching(/^[a-z]{1,4}$/), { minLength: width, maxLength: width }),
          fc.array(fc.array(cellText, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 5 }),
        ),
      );
    const eol = fc.constantFrom("\n", "\r\n");
    const cuts = fc.array(fc.nat(), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(table, eol, cuts, async ([header, rows], lineEnd, cutPoints) => {
        const entries = await read(cutAt(toCsv([header, ...rows], lineEnd), cutPoints));
        const items = entries.map((e) => ("item" in e ? e.item : e));
        expect(items).toEqual(rows.map((row) => Object.fromEntries(header.map((h, i) => [h, row[i]]))));
      }),
      { numRuns: 300 },
    );
  });
});
