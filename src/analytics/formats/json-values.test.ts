import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonLines, jsonValues } from "./json-values.ts";
import type { SourceEntry } from "./source-entry.ts";

async function collect(entries: AsyncIterable<SourceEntry>): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  for await (const entry of entries) out.push(entry);
  return out;
}

async function* chunks(parts: string[]) {
  yield* parts;
}

const ARRAY = '[\n  {"a": 1, "s": "x]}{,\\"y"},\n  {"a": [2, {"b": 3}]},\n  7,\n  "str",\n  {"bad": }\n]\n';

describe("json values", () => {
  const expected = [
    { line: 2, item: { a: 1, s: 'x]}{,"y' } },
    { line: 3, item: { a: [2, { b: 3 }] } },
    { line: 4, item: 7 },
    { line: 5, item: "str" },
  ];

  it("streams the elements of a top-level array with their line numbers, strings with brackets included", async () => {
    const entries = await collect(jsonValues(chunks([ARRAY])));
    expect(entries.slice(0, 4)).toEqual(expected);
    expect(entries[4]).toMatchObject({ line: 6, error: expect.stringMatching(/^invalid JSON/) as unknown as string });
    expect(entries).toHaveLength(5);
  });

  it("gives the same elements whatever the chunk boundaries", async () => {
    for (let cut = 1; cut < ARRAY.length; cut++) {
      const entries = await collect(jsonValues(chunks([ARRAY.slice(0, cut), ARRAY.slice(cut)])));
      expect(entries.slice(0, 4)).toEqual(expected);
      expect(entries).toHaveLength(5);
    }
  });

  it("splits pretty-printed values that follow each other, and reports a truncated one", async () => {
    const text = '{\n  "a": 1\n}\n{\n  "b": [1,\n 2]\n}\n{\n  "c": ';
    expect(await collect(jsonValues(chunks([text])))).toEqual([
      { line: 1, item: { a: 1 } },
      { line: 4, item: { b: [1, 2] } },
      { line: 8, error: expect.stringMatching(/^invalid JSON/) as unknown as string },
    ]);
  });

  it("reads JSON Lines line by line: a broken line is reported and the next one is read", async () => {
    const entries = await collect(jsonLines(chunks(['{"a":1}\r\n{"a":', '2}\n{"a": oops}\n\n  \n{"a":3}'])));
    expect(entries).toEqual([
      { line: 1, item: { a: 1 } },
      { line: 2, item: { a: 2 } },
      { line: 3, error: expect.stringMatching(/^invalid JSON/) as unknown as string },
      { line: 6, item: { a: 3 } },
    ]);
  });
});

describe("json values past the longest entry", () => {
  const long = `{"b":"${"x".repeat(5_000)}"}`;
  const inChunks = (text: string, size: number) => chunks(Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size)));

  it("rejects a JSON line longer than the bound with its number and reads the next one, wherever the chunks fall", async () => {
    const text = `{"a":1}\n${long}\n{"c":3}\n${long}`;
    const expected = [
      { line: 1, item: { a: 1 } },
      { line: 2, error: "entry longer than 1000 characters; skipped" },
      { line: 3, item: { c: 3 } },
      { line: 4, error: "entry longer than 1000 characters; skipped" },
    ];
    expect(await collect(jsonLines(chunks([text]), 1_000))).toEqual(expected);
    expect(await collect(jsonLines(inChunks(text, 64), 1_000))).toEqual(expected);
  });

  it("rejects an array element longer than the bound and reads the next one", async () => {
    const text = `[\n{"a":1},\n${long},\n{"c":3}\n]\n`;
    const expected = [
      { line: 2, item: { a: 1 } },
      { line: 3, error: "entry longer than 1000 characters; skipped" },
      { line: 4, item: { c: 3 } },
    ];
    expect(await collect(jsonValues(chunks([text]), 1_000))).toEqual(expected);
    expect(await collect(jsonValues(inChunks(text, 64), 1_000))).toEqual(expected);
  });
});

describe("json values (property)", () => {
  it("streams the elements of any JSON array, pretty-printed or not, whatever the chunk boundaries", async () => {
    const element = fc.jsonValue({ maxDepth: 3 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(element, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 5 }),
        async (values, pretty, cuts) => {
          const text = pretty ? JSON.stringify(values, null, 2) : JSON.stringify(values);
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const parts = points.map((p, i) => text.slice(points[i - 1] ?? 0, p)).concat(text.slice(points.at(-1) ?? 0));
          const entries = await collect(jsonValues(chunks(parts)));
          // JSON.stringify turns -0 into 0; compare through the same round trip.
          expect(entries.map((e) => ("item" in e ? e.item : e))).toEqual(JSON.parse(JSON.stringify(values)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
