import { createHash } from "node:crypto";

// Ids and hashes Apex derives itself. A source without ids gets one from its content, so re-reading the same file
// gives the same ids (ingest is idempotent) and byte-identical lines show up as the duplicates they are.

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A stable id for an item that has none: format + content (+ the index of a record inside a multi-record item). */
export function stableId(format: string, content: unknown, index?: number): string {
  const text = typeof content === "string" ? content : JSON.stringify(content);
  const suffix = index === undefined ? "" : `:${index}`;
  return `${format}:${sha256Hex(text).slice(0, 24)}${suffix}`;
}
