// One unit read from a usage file before any format is applied: a parsed value (or CSV row) with the line it starts
// on, or the reason it could not be read (bad JSON, a CSV row with the wrong number of fields).

export type SourceEntry =
  | { readonly line: number; readonly item: unknown }
  | { readonly line: number; readonly error: string };

/**
 * The longest single value (JSON line, array element, CSV row) read into memory by default, in characters of the
 * decoded text; longer ones are reported and skipped. Real exports hold lines of a few MiB (full prompts, tool output).
 */
export const MAX_ENTRY_CHARS = 8 * 1024 * 1024;

export function tooLong(line: number, maxChars: number): SourceEntry {
  return { line, error: `entry longer than ${maxChars} characters; skipped` };
}
