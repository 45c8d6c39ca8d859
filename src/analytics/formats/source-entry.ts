// One unit read from a usage file before any format is applied: a parsed value (or CSV row) with the line it starts
// on, or the reason it could not be read (bad JSON, a CSV row with the wrong number of fields).

export type SourceEntry =
  | { readonly line: number; readonly item: unknown }
  | { readonly line: number; readonly error: string };

/** The longest single value (JSON line, array element, CSV row) read into memory; longer ones are skipped. */
export const MAX_ENTRY_CHARS = 64 * 1024 * 1024;

export function tooLong(line: number): SourceEntry {
  return { line, error: `entry longer than ${MAX_ENTRY_CHARS} characters; skipped` };
}
