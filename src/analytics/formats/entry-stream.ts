import { csvRecords } from "./csv-rows.ts";
import { jsonLines, jsonValues } from "./json-values.ts";
import { MAX_ENTRY_CHARS, type SourceEntry } from "./source-entry.ts";
import { isObject } from "./source-values.ts";

// Text → entries, whatever the container: JSON Lines, a JSON document (a top-level array, or pretty-printed values),
// or CSV. The container is told from the first characters; API pages saved whole ({data: [...], has_more} and the
// like) are opened so that each element of `data` is an entry of its own.

type Container = "json-lines" | "json-document" | "csv" | "empty";

/** Keys an API page envelope may have besides `data` (OpenAI, Anthropic, Langfuse and Helicone list responses). */
const ENVELOPE_KEYS = new Set(["object", "data", "has_more", "next_page", "first_id", "last_id", "meta", "error"]);

function isPage(item: unknown): item is { data: unknown[] } {
  return isObject(item) && Array.isArray(item.data) && Object.keys(item).every((key) => ENVELOPE_KEYS.has(key));
}

function containerOf(text: string, ended: boolean): Container | undefined {
  const start = text.search(/\S/);
  if (start === -1) return ended ? "empty" : undefined;
  const first = text[start];
  if (first === "[") return "json-document";
  if (first !== "{") return "csv";
  const newline = text.indexOf("\n", start);
  if (newline === -1 && !ended && text.length < MAX_ENTRY_CHARS) return undefined;
  // A first line that closes its object is JSON Lines (even if that line is broken); else a pretty-printed document.
  const firstLine = (newline === -1 ? text.slice(start) : text.slice(start, newline)).trim();
  return firstLine.endsWith("}") ? "json-lines" : "json-document";
}

async function* replay(head: string, rest: AsyncIterator<string>): AsyncGenerator<string> {
  if (head !== "") yield head;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}

/** Read enough text to tell the container, then hand back the container and the whole text again. */
export async function openContainer(
  text: AsyncIterable<string>,
): Promise<{ container: Container; text: AsyncIterable<string> }> {
  const iterator = text[Symbol.asyncIterator]();
  let head = "";
  for (;;) {
    const next = await iterator.next();
    const ended = next.done === true;
    if (!ended) head += next.value;
    const container = containerOf(head, ended);
    if (container !== undefined) return { container, text: replay(head, iterator) };
  }
}

async function* openPages(entries: AsyncIterable<SourceEntry>): AsyncGenerator<SourceEntry> {
  for await (const entry of entries) {
    if ("item" in entry && isPage(entry.item)) {
      for (const item of entry.item.data) yield { line: entry.line, item };
    } else {
      yield entry;
    }
  }
}

export function entriesOf(container: Container, text: AsyncIterable<string>): AsyncIterable<SourceEntry> {
  switch (container) {
    case "json-lines":
      return openPages(jsonLines(text));
    case "json-document":
      return openPages(jsonValues(text));
    case "csv":
      return csvRecords(text);
    case "empty":
      return (async function* () {})();
  }
}
