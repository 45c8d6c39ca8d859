import { MAX_ENTRY_CHARS, tooLong, type SourceEntry } from "./source-entry.ts";

// A streaming RFC 4180 CSV reader: quoted fields with embedded commas, doubled quotes and newlines, CRLF or LF line
// ends. The first row is the header; every later row becomes a header→value object entry. Only the row being read
// is buffered: a row cut by a chunk boundary is re-read whole when the next chunk arrives.

const QUOTE = 34;
const COMMA = 44;
const NEWLINE = 10;
const CR = 13;

interface ParsedRow {
  fields: string[];
  /** Index just past the row's line end. */
  next: number;
  /** Physical lines the row spans (quoted newlines included). */
  lines: number;
}

/** Parse one row starting at `pos`; undefined when the text ends before the row does (unless at end of input). */
function parseRow(text: string, pos: number, atEnd: boolean): ParsedRow | undefined {
  const fields: string[] = [];
  let lines = 1;
  let i = pos;
  for (;;) {
    let value = "";
    if (text.charCodeAt(i) === QUOTE) {
      i += 1;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close === -1) {
          if (!atEnd) return undefined;
          value += text.slice(i); // unclosed quote at end of input: keep what there is
          i = text.length;
          break;
        }
        value += text.slice(i, close);
        if (close + 1 >= text.length && !atEnd) return undefined; // is it "" or the closing quote? wait for more
        if (text.charCodeAt(close + 1) === QUOTE) {
          value += '"';
          i = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      for (let k = value.indexOf("\n"); k !== -1; k = value.indexOf("\n", k + 1)) lines += 1;
      // Characters between the closing quote and the next separator are kept, as most readers do.
      let j = i;
      while (j < text.length && text.charCodeAt(j) !== COMMA && text.charCodeAt(j) !== NEWLINE) j += 1;
      value += text.slice(i, j).replace(/\r$/, "");
      i = j;
    } else {
      let j = i;
      while (j < text.length && text.charCodeAt(j) !== COMMA && text.charCodeAt(j) !== NEWLINE) j += 1;
      value = text.slice(i, j);
      if (value.charCodeAt(value.length - 1) === CR) value = value.slice(0, -1);
      i = j;
    }
    fields.push(value);
    if (i >= text.length) return atEnd ? { fields, next: i, lines } : undefined;
    if (text.charCodeAt(i) === NEWLINE) return { fields, next: i + 1, lines };
    i += 1; // comma
  }
}

interface Row {
  line: number;
  fields: string[];
}

async function* rows(chunks: AsyncIterable<string>): AsyncGenerator<Row | SourceEntry> {
  let buffer = "";
  let line = 1;
  let skipping = false;
  const drain = function* (atEnd: boolean): Generator<Row | SourceEntry> {
    let pos = 0;
    while (pos < buffer.length) {
      const row = parseRow(buffer, pos, atEnd);
      if (row === undefined) break;
      // A blank line is skipped; a row holding one quoted empty cell ("") is not blank.
      const blank = row.fields.length === 1 && row.fields[0] === "" && buffer.charCodeAt(pos) !== QUOTE;
      if (!blank) yield { line, fields: row.fields };
      line += row.lines;
      pos = row.next;
    }
    buffer = buffer.slice(pos);
  };
  for await (const chunk of chunks) {
    if (skipping) {
      // Resynchronize after a runaway row (an unclosed quote, most likely) at the next line end.
      const newline = chunk.indexOf("\n");
      if (newline === -1) continue;
      skipping = false;
      line += 1;
      buffer = chunk.slice(newline + 1);
    } else {
      buffer += chunk;
    }
    yield* drain(false);
    if (buffer.length > MAX_ENTRY_CHARS) {
      yield tooLong(line);
      buffer = "";
      skipping = true;
    }
  }
  if (!skipping) yield* drain(true);
}

function isEntry(value: Row | SourceEntry): value is SourceEntry {
  return !("fields" in value);
}

/** CSV rows as entries: objects keyed by the header, or an error for a row whose field count differs. */
export async function* csvRecords(chunks: AsyncIterable<string>): AsyncGenerator<SourceEntry> {
  let header: string[] | undefined;
  for await (const row of rows(chunks)) {
    if (isEntry(row)) {
      yield row;
      continue;
    }
    if (header === undefined) {
      header = row.fields.map((name, i) => (i === 0 ? name.replace(/^\uFEFF/, "") : name).trim());
      continue;
    }
    if (row.fields.length !== header.length) {
      yield { line: row.line, error: `row has ${row.fields.length} fields, the header has ${header.length}` };
      continue;
    }
    const item: Record<string, string> = {};
    header.forEach((name, i) => {
      item[name] = row.fields[i] ?? "";
    });
    yield { line: row.line, item };
  }
}
