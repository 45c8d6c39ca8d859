import { describe, expect, it } from "vitest";
import { entriesOf, openContainer } from "./entry-stream.ts";
import type { SourceEntry } from "./source-entry.ts";

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
});
