import { ApexError } from "../../protocol/errors.ts";
import { ErrorCode } from "../../protocol/names.ts";
import { MAPPERS } from "./catalog.ts";
import { FORMAT_NAMES, type FormatName, type SourceItem } from "./format.ts";
import { isObject } from "./source-values.ts";

// Auto detection: each sampled item is given the first format whose shape it has; the file's format is the one they
// agree on. Items no format recognises are ignored here (the chosen mapper rejects them with their line numbers).

export interface SampledItem {
  readonly line: number;
  readonly item: unknown;
}

/** The first format (in detection order) whose shape the item has. */
export function formatOf(item: unknown): FormatName | undefined {
  if (!isObject(item)) return undefined;
  return MAPPERS.find((mapper) => mapper.matches(item as SourceItem))?.name;
}

const SUPPORTED = `supported formats: ${FORMAT_NAMES.join(", ")}`;

function describeLines(lines: readonly number[]): string {
  const shown = lines.slice(0, 5).join(", ");
  return lines.length > 5 ? `${shown}, …` : shown;
}

/** The format the sample agrees on; unknown_format or mixed_formats (listing the supported formats) otherwise. */
export function detectFormat(sample: readonly SampledItem[], source: string): FormatName {
  const linesByFormat = new Map<FormatName, number[]>();
  for (const { line, item } of sample) {
    const name = formatOf(item);
    if (name === undefined) continue;
    const lines = linesByFormat.get(name) ?? [];
    lines.push(line);
    linesByFormat.set(name, lines);
  }
  if (linesByFormat.size === 0) {
    const first = sample.find((s) => isObject(s.item));
    const keys =
      first === undefined
        ? "no JSON object or CSV row"
        : `fields ${Object.keys(first.item as object).slice(0, 12).join(", ")}`;
    throw new ApexError(
      ErrorCode.UNKNOWN_FORMAT,
      `Could not recognise the usage format of ${source} from its first ${sample.length} entries (${keys}). ` +
        `Pass the format explicitly; ${SUPPORTED}.`,
      { details: { supported: [...FORMAT_NAMES] } },
    );
  }
  if (linesByFormat.size > 1) {
    const parts = [...linesByFormat].map(([name, lines]) => `${name} (line ${describeLines(lines)})`);
    throw new ApexError(
      ErrorCode.MIXED_FORMATS,
      `${source} mixes usage formats: ${parts.join(" and ")}. A file must hold one format: split it and ingest ` +
        `each part with its own format; ${SUPPORTED}.`,
      { details: { formats: [...linesByFormat.keys()], supported: [...FORMAT_NAMES] } },
    );
  }
  return [...linesByFormat.keys()][0] as FormatName;
}
