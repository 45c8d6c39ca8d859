import { MAX_ENTRY_CHARS, tooLong, type SourceEntry } from "./source-entry.ts";

// Streaming JSON readers. JSON Lines: one value per line, read line by line so a broken line never hides the next.
// Documents: a top-level array (each element is an entry) or one or more pretty-printed values in a row; split by
// tracking string and bracket depth, so no more than one element is ever held in memory.

const QUOTE = 34;
const BACKSLASH = 92;
const NEWLINE = 10;
const COMMA = 44;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function parse(text: string, line: number): SourceEntry {
  try {
    return { line, item: JSON.parse(text) as unknown };
  } catch (error) {
    return { line, error: `invalid JSON: ${(error as Error).message}` };
  }
}

export async function* jsonLines(chunks: AsyncIterable<string>, maxChars = MAX_ENTRY_CHARS): AsyncGenerator<SourceEntry> {
  let pending = "";
  let line = 0;
  let skipping = false;
  const finish = (text: string): SourceEntry | undefined => {
    line += 1;
    if (skipping) {
      skipping = false;
      return tooLong(line, maxChars);
    }
    const trimmed = text.trim();
    return trimmed === "" ? undefined : parse(trimmed, line);
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      // Blank lines between entries are passed over a character at a time: a file of them costs no work per line.
      if (pending === "" && !skipping) {
        for (; start < chunk.length; start++) {
          const c = chunk.charCodeAt(start);
          if (c === NEWLINE) line += 1;
          else if (!isSpace(c)) break;
        }
      }
      const newline = chunk.indexOf("\n", start);
      if (newline === -1) break;
      // A line is too long by its own length, wherever the chunks fell.
      if (pending.length + newline - start > maxChars) skipping = true;
      const entry = finish(skipping ? "" : pending + chunk.slice(start, newline));
      pending = "";
      if (entry !== undefined) yield entry;
      start = newline + 1;
    }
    if (!skipping) pending += chunk.slice(start);
    if (pending.length > maxChars) {
      pending = "";
      skipping = true;
    }
  }
  if (pending !== "" || skipping) {
    const entry = finish(pending);
    if (entry !== undefined) yield entry;
  }
}

/** Splits a JSON document into entries: the elements of a top-level array, else each top-level value. */
export async function* jsonValues(chunks: AsyncIterable<string>, maxChars = MAX_ENTRY_CHARS): AsyncGenerator<SourceEntry> {
  let line = 1;
  let depth = 0; // bracket depth, counting the top-level array
  let base = -1; // depth at which values start: 1 inside a top-level array, 0 for concatenated values
  let inString = false;
  let escaped = false;
  let capturing = false;
  let skipping = false; // inside a value too long to keep
  let captured = "";
  let startLine = 0;

  for await (const chunk of chunks) {
    let from = 0; // start of the part of this chunk that belongs to the current value
    const out: SourceEntry[] = [];
    const endValue = (end: number) => {
      const long = skipping || captured.length + end - from > maxChars;
      out.push(long ? tooLong(startLine, maxChars) : parse(captured + chunk.slice(from, end), startLine));
      captured = "";
      capturing = false;
      skipping = false;
    };
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) line += 1;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (!capturing) {
        if (isSpace(c) || (c === COMMA && depth === base)) continue;
        if (base === -1) base = c === OPEN_BRACKET ? 1 : 0;
        if (depth === 0 && base === 1) {
          if (c === OPEN_BRACKET) depth = 1;
          else out.push({ line, error: "unexpected content after the top-level JSON array" });
          continue;
        }
        if (c === CLOSE_BRACKET && depth === 1 && base === 1) {
          depth = 0;
          continue;
        }
        capturing = true;
        startLine = line;
        from = i;
      }
      if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth += 1;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth === base) {
          // A scalar element ends at the array's closing bracket.
          endValue(i);
          depth -= 1;
          continue;
        }
        depth -= 1;
        if (depth === base) endValue(i + 1);
      } else if (depth === base && (c === COMMA || isSpace(c))) {
        endValue(i);
      }
    }
    if (capturing) {
      if (!skipping) captured += chunk.slice(from);
      if (captured.length > maxChars) {
        captured = "";
        skipping = true;
      }
    }
    yield* out;
  }
  // A value still open at the end is a truncated document (or a last scalar): parse says which.
  if (capturing) yield skipping ? tooLong(startLine, maxChars) : parse(captured, startLine);
}
