import { ApexError } from "../../protocol/errors.ts";
import { ErrorCode } from "../../protocol/names.ts";
import { csvRecords } from "./csv-rows.ts";
import { jsonLines, jsonValues } from "./json-values.ts";
import { MAX_ENTRY_CHARS, type SourceEntry } from "./source-entry.ts";
import { isObject } from "./source-values.ts";

// Text → entries, whatever the container: JSON Lines, a JSON document (a top-level array, or pretty-printed values),
// or CSV. The container is told from the first characters (never more than HEAD_CHARS of them); API pages saved whole
// ({data: [...], has_more} and the like) are opened so that each element of `data` is an entry of its own.

type Container = "json-lines" | "json-document" | "csv" | "empty";

/** Keys an API page envelope may have besides `data` (OpenAI, Anthropic, Langfuse and Helicone list responses). */
const ENVELOPE_KEYS = new Set(["object", "data", "has_more", "next_page", "first_id", "last_id", "meta", "error"]);

function isPage(item: unknown): item is { data: unknown[] } {
  return isObject(item) && Array.isArray(item.data) && Object.keys(item).every((key) => ENVELOPE_KEYS.has(key));
}

/** Text read to tell the container (whitespace included); a file still undecided past it is no usage file. */
export const HEAD_CHARS = 1024 * 1024;

/**
 * Tells the container from the text read so far, one chunk at a time: each chunk is scanned once, for the first
 * non-blank character and (when that is "{") for the end of the first line, so a long head costs no re-scanning.
 */
class ContainerProbe {
  private first: string | undefined;
  /** The last non-blank character of the first line so far, once it began with "{". */
  private lastOfFirstLine = "";
  chars = 0;

  /** The container, or undefined while the chunks so far do not tell. */
  feed(chunk: string): Container | undefined {
    this.chars += chunk.length;
    let from = 0;
    if (this.first === undefined) {
      const start = chunk.search(/\S/);
      if (start === -1) return undefined;
      this.first = chunk[start];
      if (this.first === "[") return "json-document";
      if (this.first !== "{") return "csv";
      from = start;
    }
    const newline = chunk.indexOf("\n", from);
    const part = (newline === -1 ? chunk.slice(from) : chunk.slice(from, newline)).trimEnd();
    if (part !== "") this.lastOfFirstLine = part[part.length - 1] ?? "";
    return newline === -1 ? undefined : this.firstLine();
  }

  /** At the end of the text, or past the head: what the text so far says. */
  settle(): Container | undefined {
    return this.first === undefined ? undefined : this.firstLine();
  }

  // A first line that closes its object is JSON Lines (even if that line is broken); else a pretty-printed document
  // (or one value longer than the head, which the document reader splits just as well).
  private firstLine(): Container {
    return this.lastOfFirstLine === "}" ? "json-lines" : "json-document";
  }
}

async function* replay(head: string, rest: AsyncIterator<string>): AsyncGenerator<string> {
  if (head !== "") yield head;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield next.value;
  }
}

/**
 * Reads enough text to tell the container, then hands back the container and the whole text again. A head of
 * HEAD_CHARS that is all blank is refused with no_usage_data (`source` names the file in the message).
 */
export async function openContainer(
  text: AsyncIterable<string>,
  source = "the data",
): Promise<{ container: Container; text: AsyncIterable<string> }> {
  const iterator = text[Symbol.asyncIterator]();
  const head: string[] = [];
  const probe = new ContainerProbe();
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return { container: probe.settle() ?? "empty", text: replay(head.join(""), iterator) };
    head.push(next.value);
    const container = probe.feed(next.value) ?? (probe.chars > HEAD_CHARS ? probe.settle() : undefined);
    if (container !== undefined) return { container, text: replay(head.join(""), iterator) };
    if (probe.chars > HEAD_CHARS) {
      await iterator.return?.();
      const message = `The first ${HEAD_CHARS} characters of ${source} are blank: it holds no usage entries; check that it is the right file.`;
      throw new ApexError(ErrorCode.NO_USAGE_DATA, message, { details: { head_chars: HEAD_CHARS } });
    }
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

/** The entries of the text in its container; an entry longer than `maxChars` is reported and skipped. */
export function entriesOf(container: Container, text: AsyncIterable<string>, maxChars = MAX_ENTRY_CHARS): AsyncIterable<SourceEntry> {
  switch (container) {
    case "json-lines":
      return openPages(jsonLines(text, maxChars));
    case "json-document":
      return openPages(jsonValues(text, maxChars));
    case "csv":
      return csvRecords(text, maxChars);
    case "empty":
      return (async function* () {})();
  }
}
