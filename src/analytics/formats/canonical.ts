import { UsageRecordSchema, type UsageRecordInput } from "../record.ts";
import type { FormatMapper, SourceItem } from "./format.ts";
import { readArray, readBoolean, readNumber } from "./source-values.ts";
import { stableId } from "./stable-id.ts";

// Apex's own record (analytics.md), one object a line, or one CSV row. Values go to the schema as they are, except
// that null and empty cells count as absent and CSV's string cells are read back into numbers, booleans and tags.
// Written back as is: every field survives, in JSON Lines and in CSV (tags as a JSON array cell).

const NUMERIC_FIELDS = [
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "cost_usd",
  "duration_ms",
  "ttft_ms",
  "max_tokens",
  "temperature",
  "prefix_tokens",
  "num_requests",
] as const;

function fromCells(item: SourceItem): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (value === "" || value === null) continue;
    out[key] = value;
  }
  for (const field of NUMERIC_FIELDS) {
    if (typeof out[field] === "string") out[field] = readNumber(out[field], field);
  }
  if (typeof out.stream === "string") out.stream = readBoolean(out.stream);
  if (typeof out.tags === "string") out.tags = readArray(out.tags) ?? out.tags.split(";").filter((t) => t !== "");
  return out;
}

export const canonical: FormatMapper = {
  name: "canonical",
  matches: (item) => "timestamp" in item && "model" in item && "input_tokens" in item && "output_tokens" in item,
  map(item) {
    const record = fromCells(item);
    if (record.id === undefined) record.id = stableId("canonical", item);
    // The schema checks every field; this cast only hands it the untyped object.
    return [record as UsageRecordInput];
  },
  writer: {
    item: (record) => ({ ...record }),
    csvColumns: Object.keys(UsageRecordSchema.shape),
  },
};
