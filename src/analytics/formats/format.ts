import { ApexError, isApexError } from "../../protocol/errors.ts";
import { ErrorCode } from "../../protocol/names.ts";
import type { FormatName } from "../../protocol/usage-formats.ts";
import type { UsageRecord, UsageRecordInput } from "../record.ts";

// What an ingest format is: a name, a shape check used by auto detection, and a pure mapper from one source item
// (one parsed JSON value, or one CSV row as a header→value object) to zero or more canonical records; and, where the
// format can hold one call, the inverse writer (canonical record → the item the provider's export holds).

// The format names are a wire value (`?format=` of the upload route), so they live in the protocol layer.
export { FORMAT_NAMES, type FormatName } from "../../protocol/usage-formats.ts";

/** A loosely typed source object: a JSON object or a CSV row keyed by header. */
export type SourceItem = Readonly<Record<string, unknown>>;

/** Values the user gives for what a source does not hold (the public traces have no model, for one). */
export interface FormatOptions {
  /** Model name for sources without one; also fills records that lack a model. */
  model?: string;
  /** Feature name for records without one. */
  feature?: string;
  /** Provider for records without one. */
  provider?: string;
  /** ISO 8601 start of a trace whose timestamps are offsets (mooncake), or the time of sources that carry none. */
  startTime?: string;
}

export interface FormatMapper {
  readonly name: FormatName;
  /** True when the source has no model name at all, so `model` must be given in the options. */
  readonly needsModel?: boolean;
  /** Cheap shape check on one source item, for auto detection. */
  matches(item: SourceItem): boolean;
  /**
   * Map one item. Returns [] for items that carry no LLM usage (a non-generation observation, a non-gen_ai span);
   * throws `ApexError(invalid_record)` with the reason when the item cannot be mapped. Items made of parts (an OTLP
   * export's spans, a usage bucket's results) return a `PartRejection` for a bad part and keep the others.
   */
  map(item: SourceItem, options: FormatOptions): MappedPart[];
  /** The inverse of `map`, for formats that hold one call an item; absent for the others (see `unwritable`). */
  readonly writer?: FormatWriter;
  /** Why a format has no writer, and which formats to write instead (shown to the user as is). */
  readonly unwritable?: string;
}

/** Canonical record → the source item the provider (or tool) itself emits, so that `map` reads the record back. */
export interface FormatWriter {
  /** One record as one source item: a JSON line, or a CSV row when `csvColumns` is set. */
  item(record: UsageRecord): SourceItem;
  /** The header of the format's CSV export, for formats that are also exported as CSV. */
  readonly csvColumns?: readonly string[];
  /** The id `map` gives back for a record of this id, for formats that re-encode ids (OTLP: 16 hex digits). */
  readId?(id: string): string;
}

/** One part of a multi-record item that could not be mapped, with its reason. */
interface PartRejection {
  readonly rejected: string;
}
export type MappedPart = UsageRecordInput | PartRejection;

export function isPartRejection(part: MappedPart): part is PartRejection {
  return "rejected" in part;
}

/** Map the parts of one item, turning a part's rejection into a PartRejection that names the part. */
export function mapParts<T>(
  parts: readonly T[],
  label: (index: number) => string,
  mapPart: (part: T, index: number) => UsageRecordInput | undefined,
): MappedPart[] {
  const out: MappedPart[] = [];
  parts.forEach((part, index) => {
    try {
      const record = mapPart(part, index);
      if (record !== undefined) out.push(record);
    } catch (error) {
      if (!isApexError(error) || error.code !== ErrorCode.INVALID_RECORD) throw error;
      out.push({ rejected: `${label(index)}: ${error.message}` });
    }
  });
  return out;
}

/** Stop mapping one item; the reader reports the reason with the item's line number and goes on. */
export function rejectItem(reason: string): never {
  throw new ApexError(ErrorCode.INVALID_RECORD, reason);
}
