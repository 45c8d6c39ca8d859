import { ApexError } from "../../protocol/errors.ts";
import { ErrorCode } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { mapperFor } from "./catalog.ts";
import { FORMAT_NAMES, type FormatName, type FormatWriter } from "./format.ts";

// Canonical records → the text of a usage file in a given format: JSON Lines (one source item a line), or CSV for the
// formats whose tools export CSV. The file reads back through the ingest reader, explicit format or auto.

export type WriteContainer = "json-lines" | "csv";

export interface SourceWriter {
  readonly format: FormatName;
  readonly container: WriteContainer;
  /** Text that opens the file: the CSV header line, or "" for JSON Lines. */
  readonly head: string;
  /** One record as its text, line end included. */
  line(record: UsageRecord): string;
  /** The id the reader gives back for a record of this id (the same id, unless the format re-encodes ids). */
  readId(id: string): string;
}

/** The formats that can be written, in detection order. */
export const WRITABLE_FORMATS: readonly FormatName[] = FORMAT_NAMES.filter((name) => mapperFor(name).writer);

/** RFC 4180: quote a cell holding a separator, a quote or a line break; nested values are JSON text. */
function csvCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function writerOf(format: FormatName): FormatWriter {
  if (!(FORMAT_NAMES as readonly string[]).includes(format)) {
    throw new ApexError(
      ErrorCode.UNKNOWN_FORMAT,
      `Unknown usage format "${String(format)}"; formats that can be written: ${WRITABLE_FORMATS.join(", ")}.`,
    );
  }
  const mapper = mapperFor(format);
  if (mapper.writer !== undefined) return mapper.writer;
  throw new ApexError(
    ErrorCode.INVALID_PARAMETERS,
    `Cannot write the ${format} format: ${mapper.unwritable ?? "it holds no single calls"}`,
    { details: { writable: [...WRITABLE_FORMATS] } },
  );
}

/** A writer of `format` files; throws when the format cannot hold single calls or has no CSV export. */
export function sourceWriterFor(format: FormatName, container: WriteContainer = "json-lines"): SourceWriter {
  const writer = writerOf(format);
  const readId = (id: string) => writer.readId?.(id) ?? id;
  if (container === "json-lines") {
    return { format, container, head: "", line: (record) => `${JSON.stringify(writer.item(record))}\n`, readId };
  }
  const columns = writer.csvColumns;
  if (columns === undefined) {
    const csv = WRITABLE_FORMATS.filter((name) => mapperFor(name).writer?.csvColumns !== undefined);
    throw new ApexError(
      ErrorCode.INVALID_PARAMETERS,
      `The ${format} format is written as JSON Lines only; CSV is written for ${csv.join(", ")}.`,
    );
  }
  return {
    format,
    container,
    head: `${columns.map(csvCell).join(",")}\n`,
    line(record) {
      const item = writer.item(record);
      return `${columns.map((column) => csvCell(item[column])).join(",")}\n`;
    },
    readId,
  };
}
