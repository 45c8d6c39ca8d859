import type { TimeRange } from "./hand-offs.ts";

// Time ranges in the user's words, read against the LATEST call in their data rather than the wall clock: a log that
// ends in January answers "last week" with its own last seven days. Explicit dates and months are taken as given.

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
const MONTH_ALT = MONTHS.map((m) => (m.length > 4 ? `${m}|${m.slice(0, 3)}` : m)).join("|");
const ISO_DATE = String.raw`(\d{4}-\d{2}-\d{2})`;
const UNIT_DAYS: Readonly<Record<string, number>> = { day: 1, week: 7, month: 30, year: 365 };
const NUMBER_WORDS: Readonly<Record<string, number>> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, ten: 10, fourteen: 14, thirty: 30 };

const iso = (ms: number): string => new Date(ms).toISOString();
const day = (ms: number): string => iso(ms).slice(0, 10);
const startOfDay = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

function parseDate(text: string): number | null {
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) ? null : ms;
}

function monthIndex(name: string): number {
  return MONTHS.findIndex((m) => m.startsWith(name.slice(0, 3)));
}

function range(from: number, to: number, phrase: string, explanation: string): TimeRange {
  return { from: iso(from), to: iso(to), phrase, explanation };
}

/** The range of `text`, or null when it names none; `latest` is the last call in the user's data. */
export function resolveTimeRange(text: string, latest: Date): TimeRange | null {
  const t = text.toLowerCase();
  const latestMs = latest.getTime();
  const endDay = startOfDay(latestMs) + DAY_MS;
  const relative = (from: number, to: number, phrase: string, what: string): TimeRange =>
    range(
      from,
      to,
      phrase,
      `Reading "${phrase}" as ${what} of your data (${day(from)} to ${day(to - 1)}), because your log ends on ${day(latestMs)}; it is not measured from today's date.`,
    );

  const between = new RegExp(String.raw`(?:between|from)\s+${ISO_DATE}\s+(?:and|to|until|through|-)\s+${ISO_DATE}`).exec(t);
  if (between) {
    const a = parseDate(between[1] ?? "");
    const b = parseDate(between[2] ?? "");
    if (a !== null && b !== null) {
      // Dates given in reverse order still name the same days.
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return range(lo, hi + DAY_MS, between[0], `Using ${day(lo)} to ${day(hi)} inclusive, as you wrote.`);
    }
  }
  const since = new RegExp(String.raw`since\s+${ISO_DATE}`).exec(t);
  if (since) {
    const a = parseDate(since[1] ?? "");
    if (a !== null) return range(a, endDay, since[0], `Using ${day(a)} up to the end of your data (${day(latestMs)}).`);
  }
  const on = new RegExp(String.raw`\b${ISO_DATE}\b`).exec(t);
  if (on) {
    const a = parseDate(on[1] ?? "");
    if (a !== null) return range(a, a + DAY_MS, on[0], `Using the single day ${day(a)}.`);
  }

  const lastN = /\b(?:last|past|previous)\s+(\d{1,4}|one|two|three|four|five|six|seven|ten|fourteen|thirty)\s+(hour|day|week|month|year)s?\b/.exec(t);
  if (lastN) {
    const raw = lastN[1] ?? "1";
    const n = NUMBER_WORDS[raw] ?? Number(raw);
    const unit = lastN[2] ?? "day";
    if (n > 0 && unit === "hour") {
      const to = latestMs + 1;
      return range(to - n * HOUR_MS, to, lastN[0], `Reading "${lastN[0]}" as the ${n} hours up to your last recorded call (${iso(latestMs)}), not up to now.`);
    }
    if (n > 0) return relative(endDay - n * (UNIT_DAYS[unit] ?? 1) * DAY_MS, endDay, lastN[0], `the last ${n * (UNIT_DAYS[unit] ?? 1)} days`);
  }
  const named = /\b(last|past|previous|this)\s+(24\s+hours|day|week|month|year)\b|\b(yesterday|today)\b/.exec(t);
  if (named) {
    const phrase = named[0];
    if (named[3] === "today") return relative(endDay - DAY_MS, endDay, phrase, "the last day");
    if (named[3] === "yesterday") return relative(endDay - 2 * DAY_MS, endDay - DAY_MS, phrase, "the day before the last day");
    const unit = named[2] ?? "day";
    if (unit.startsWith("24")) {
      const to = latestMs + 1;
      return range(to - 24 * HOUR_MS, to, phrase, `Reading "${phrase}" as the 24 hours up to your last recorded call (${iso(latestMs)}), not up to now.`);
    }
    if (named[1] === "this" && unit === "month") {
      const d = new Date(latestMs);
      const from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      return relative(from, endDay, phrase, "the last calendar month");
    }
    const days = UNIT_DAYS[unit] ?? 1;
    return relative(endDay - days * DAY_MS, endDay, phrase, `the last ${days} day${days === 1 ? "" : "s"}`);
  }

  // A month needs a preposition or a year next to it: "may" alone is usually not a month.
  const month = new RegExp(String.raw`\b(?:(?:in|during|for|of|over)\s+(${MONTH_ALT})\b(?:\s+(\d{4}))?|(${MONTH_ALT})\s+(\d{4})\b)`).exec(t);
  if (month) {
    const name = month[1] ?? month[3] ?? "";
    const year = month[2] ?? month[4];
    const m = monthIndex(name);
    const latestDate = new Date(latestMs);
    const y = year !== undefined ? Number(year) : m <= latestDate.getUTCMonth() ? latestDate.getUTCFullYear() : latestDate.getUTCFullYear() - 1;
    const from = Date.UTC(y, m, 1);
    const to = Date.UTC(y, m + 1, 1);
    const why = year === undefined ? `the most recent ${MONTHS[m]} at or before the end of your data (${day(latestMs)})` : "the month you named";
    return range(from, to, month[0].trim(), `Using ${day(from)} to ${day(to - 1)}: ${why}.`);
  }
  return null;
}
