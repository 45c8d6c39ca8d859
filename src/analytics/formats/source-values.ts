import { rejectItem, type SourceItem } from "./format.ts";

// Typed reads out of loosely typed source items. CSV cells arrive as strings and exports write null or "" for
// "absent", so every read accepts those and says which field was wrong when a value cannot be read.

export function isObject(value: unknown): value is SourceItem {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isAbsent(value: unknown): value is null | undefined | "" {
  return value === undefined || value === null || value === "";
}

/** An object field, also when an export wrote it as a JSON string (CSV cells, LiteLLM metadata). */
export function readObject(value: unknown): SourceItem | undefined {
  if (isObject(value)) return value;
  if (typeof value === "string" && value.trimStart().startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(value);
      return isObject(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** An array field, also when written as a JSON string. */
export function readArray(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === "string" && value.trimStart().startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(value);
      return Array.isArray(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** A number (token counts included: negative or fractional ones pass through so the record schema reports them). */
export function readNumber(value: unknown, field: string): number | undefined {
  if (isAbsent(value)) return undefined;
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value.trim()) : Number.NaN;
  if (!Number.isFinite(n)) rejectItem(`${field} is not a number (${JSON.stringify(value)})`);
  return n;
}

export function readString(value: unknown): string | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return undefined;
}

export function readBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (v === "true" || v === "1" || v === "t" || v === "yes") return true;
    if (v === "false" || v === "0" || v === "f" || v === "no") return false;
  }
  return undefined;
}

/** Sum of the present counts; undefined when none is present. */
export function sumCounts(...values: (number | undefined)[]): number | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  return present.length === 0 ? undefined : present.reduce((a, b) => a + b, 0);
}

const OFFSET_RE = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

/**
 * A date-time written by an export, as ISO 8601 UTC. Accepts ISO strings, "YYYY-MM-DD HH:MM:SS.fffffff" (no zone
 * means UTC), a "+00" style offset (PostgreSQL), and numbers as epoch seconds (< 1e11) or milliseconds.
 */
export function readTimestamp(value: unknown, field: string): string | undefined {
  if (isAbsent(value)) return undefined;
  if (typeof value === "number") return epochToIso(value < 1e11 ? value * 1000 : value, field);
  if (typeof value !== "string") rejectItem(`${field} is not a date-time (${JSON.stringify(value)})`);
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return readTimestamp(Number(text), field);
  let iso = text.replace(" ", "T");
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += "T00:00:00";
  // JavaScript's Date reads at most milliseconds; trace exports write up to 9 fractional digits.
  iso = iso.replace(/(\.\d{3})\d+/, "$1");
  const offset = OFFSET_RE.exec(iso.slice(iso.indexOf("T") + 1));
  if (!offset) iso += "Z";
  else if (/^[+-]\d{2}$/.test(offset[0])) iso += ":00";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) rejectItem(`${field} is not a date-time (${JSON.stringify(value)})`);
  return new Date(ms).toISOString();
}

export function epochToIso(ms: number, field: string): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) rejectItem(`${field} is not a valid time (${ms} ms since 1970)`);
  return date.toISOString();
}

/** Epoch seconds (OpenAI `created`, usage bucket `start_time`) as ISO 8601. */
export function readEpochSeconds(value: unknown, field: string): string | undefined {
  const seconds = readNumber(value, field);
  return seconds === undefined ? undefined : epochToIso(seconds * 1000, field);
}

/** Milliseconds between two ISO timestamps, when both are known and in order. */
export function millisBetween(start: string | undefined, end: string | undefined): number | undefined {
  if (start === undefined || end === undefined) return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** The time `ms` after an ISO timestamp (the inverse of millisBetween, for writers); undefined when ms is unknown. */
export function isoAfter(start: string, ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(Date.parse(start) + ms).toISOString();
}

/** Strings the schema caps (error_type) are cut instead of rejecting the whole call. */
export function truncate(value: string | undefined, max: number): string | undefined {
  return value === undefined || value.length <= max ? value : value.slice(0, max);
}

/** Provider tier names → the canonical tier; unknown names (OpenAI "scale") are left out rather than guessed. */
export function readServiceTier(value: unknown): "standard" | "batch" | "flex" | "priority" | undefined {
  const tier = readString(value)?.toLowerCase();
  if (tier === undefined) return undefined;
  if (tier === "standard" || tier === "default" || tier === "auto" || tier === "on_demand") return "standard";
  if (tier === "batch") return "batch";
  if (tier.startsWith("flex")) return "flex";
  if (tier.startsWith("priority")) return "priority";
  return undefined;
}
