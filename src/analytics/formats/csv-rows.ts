import { MAX_ENTRY_CHARS, tooLong, type SourceEntry } from "./source-entry.ts";

// A streaming RFC 4180 CSV reader: quoted fields with embedded commas, doubled quotes and newlines, CRLF or LF line
// ends. The first row is the header; every later row becomes a header→value object entry. One pass over the text with
// the parser's state carried from chunk to chunk, so a row cut by a chunk boundary is never read again; only the row
// being read is held, and a row longer than the bound is reported and skipped to the next line end.

const QUOTE = 34;
const COMMA = 44;
const NEWLINE = 10;
const CR = "\r";

// Where the parser stands between two characters.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** A quote inside a quoted field: a doubled quote or the closing one, told by the next character. */
const QUOTE_IN_QUOTED = 3;
/** Past a closing quote: characters up to the separator are kept, as most readers do. */
const AFTER_QUOTED = 4;
/** Past the bound of a row: everything up to the next line end is dropped. */
const SKIPPING = 5;

interface Row {
  line: number;
  fields: string[];
}

function countNewlines(text: string): number {
  let count = 0;
  for (let k = text.indexOf("\n"); k !== -1; k = text.indexOf("\n", k + 1)) count += 1;
  return count;
}

class RowParser {
  private state = FIELD_START;
  private fields: string[] = [];
  /** The current field so far, and what followed its closing quote. */
  private pieces: string[] = [];
  private tail: string[] = [];
  private quoted = false;
  private firstQuoted = false;
  private rowChars = 0;
  /** Physical line at the scan position, and the one the current row started on. */
  private line = 1;
  private rowLine = 1;

  constructor(private readonly maxChars: number) {}

  feed(chunk: string, out: (Row | SourceEntry)[]): void {
    let i = 0;
    while (i < chunk.length) {
      i = this.step(chunk, i, out);
      if (this.state !== SKIPPING && this.rowChars > this.maxChars) {
        out.push(tooLong(this.rowLine, this.maxChars));
        this.resetRow();
        this.state = SKIPPING;
      }
    }
  }

  /** The last row, which may lack its line end (or its closing quote: what there is is kept). */
  end(out: (Row | SourceEntry)[]): void {
    if (this.state === SKIPPING || (this.state === FIELD_START && this.fields.length === 0)) return;
    this.endField();
    this.endRow(out);
  }

  /** Consumes from `i` to the end of one token (a run of field text, a quote, a separator); returns where it stopped. */
  private step(chunk: string, i: number, out: (Row | SourceEntry)[]): number {
    switch (this.state) {
      case SKIPPING: {
        const newline = chunk.indexOf("\n", i);
        if (newline === -1) return chunk.length;
        this.line += 1;
        this.rowLine = this.line;
        this.state = FIELD_START;
        return newline + 1;
      }
      case FIELD_START:
        this.quoted = chunk.charCodeAt(i) === QUOTE;
        if (this.fields.length === 0) this.firstQuoted = this.quoted;
        this.state = this.quoted ? QUOTED : UNQUOTED;
        this.rowChars += this.quoted ? 1 : 0;
        return this.quoted ? i + 1 : i;
      case QUOTED: {
        // Doubled quotes stay doubled in the pieces (collapsed once, at the field's end): no work per quote.
        const limit = this.limit(chunk, i);
        let j = i;
        let next = QUOTED;
        for (;;) {
          const close = chunk.indexOf('"', j);
          if (close === -1 || close >= limit) break;
          if (close + 1 < chunk.length && chunk.charCodeAt(close + 1) === QUOTE) {
            j = close + 2;
            continue;
          }
          j = close;
          next = close + 1 < chunk.length ? AFTER_QUOTED : QUOTE_IN_QUOTED;
          break;
        }
        const end = next === QUOTED ? Math.max(j, limit) : j;
        const part = chunk.slice(i, end);
        this.pieces.push(part);
        this.line += countNewlines(part);
        this.rowChars += part.length;
        if (next === QUOTED) return end;
        this.state = next;
        this.rowChars += 1;
        return end + 1;
      }
      case QUOTE_IN_QUOTED:
        // The previous chunk ended on a quote: a doubled one goes on with the field, anything else follows its end.
        if (chunk.charCodeAt(i) !== QUOTE) {
          this.state = AFTER_QUOTED;
          return i;
        }
        this.pieces.push('""');
        this.state = QUOTED;
        this.rowChars += 1;
        return i + 1;
      default: {
        // UNQUOTED or AFTER_QUOTED: text up to the next separator.
        const limit = this.limit(chunk, i);
        let j = i;
        for (; j < limit; j++) {
          const c = chunk.charCodeAt(j);
          if (c === COMMA || c === NEWLINE) break;
        }
        (this.state === UNQUOTED ? this.pieces : this.tail).push(chunk.slice(i, j));
        this.rowChars += j - i;
        if (j === limit) return j;
        this.rowChars += 1;
        this.endField();
        if (chunk.charCodeAt(j) === NEWLINE) {
          this.line += 1;
          this.endRow(out);
        }
        this.state = FIELD_START;
        return j + 1;
      }
    }
  }

  /** Where a scan from `i` must stop: the chunk's end, or one character past the row's bound (wherever chunks fall). */
  private limit(chunk: string, i: number): number {
    return Math.min(chunk.length, i + this.maxChars - this.rowChars + 1);
  }

  private endField(): void {
    let value = this.pieces.join("");
    if (this.quoted) {
      const tail = this.tail.join("");
      value = value.replaceAll('""', '"') + (tail.endsWith(CR) ? tail.slice(0, -1) : tail);
    } else if (value.endsWith(CR)) {
      value = value.slice(0, -1);
    }
    this.fields.push(value);
    this.pieces = [];
    this.tail = [];
  }

  private endRow(out: (Row | SourceEntry)[]): void {
    // A blank line is skipped; a row holding one quoted empty cell ("") is not blank.
    const blank = this.fields.length === 1 && this.fields[0] === "" && !this.firstQuoted;
    if (!blank) out.push({ line: this.rowLine, fields: this.fields });
    this.resetRow();
  }

  private resetRow(): void {
    this.fields = [];
    this.pieces = [];
    this.tail = [];
    this.rowChars = 0;
    this.rowLine = this.line;
    this.state = FIELD_START;
  }
}

async function* rows(chunks: AsyncIterable<string>, maxChars: number): AsyncGenerator<Row | SourceEntry> {
  const parser = new RowParser(maxChars);
  for await (const chunk of chunks) {
    const out: (Row | SourceEntry)[] = [];
    parser.feed(chunk, out);
    yield* out;
  }
  const out: (Row | SourceEntry)[] = [];
  parser.end(out);
  yield* out;
}

function isEntry(value: Row | SourceEntry): value is SourceEntry {
  return !("fields" in value);
}

/** CSV rows as entries: objects keyed by the header, or an error for a row whose field count differs. */
export async function* csvRecords(chunks: AsyncIterable<string>, maxChars = MAX_ENTRY_CHARS): AsyncGenerator<SourceEntry> {
  let header: string[] | undefined;
  for await (const row of rows(chunks, maxChars)) {
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
