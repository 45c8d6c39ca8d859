import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvRecords } from "./csv-rows.ts";
import type { SourceEntry } from "./source-entry.ts";

async function read(chunks: string[]): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const entry of csvRecords(source())) out.push(entry);
  return out;
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
