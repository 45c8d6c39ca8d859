import { describe, expect, it } from "vitest";
import { resolveTimeRange } from "./time-range.ts";

// The log ends on Tuesday 2026-02-03 at 17:42 UTC; "today" in the wall clock is irrelevant.
const LATEST = new Date("2026-02-03T17:42:10.000Z");

describe("resolveTimeRange", () => {
  it.each([
    ["what did we spend last week?", "2026-01-28T00:00:00.000Z", "2026-02-04T00:00:00.000Z"],
    ["costs over the past week", "2026-01-28T00:00:00.000Z", "2026-02-04T00:00:00.000Z"],
    ["spend in the last 3 days", "2026-02-01T00:00:00.000Z", "2026-02-04T00:00:00.000Z"],
    ["last two weeks", "2026-01-21T00:00:00.000Z", "2026-02-04T00:00:00.000Z"],
    ["last month", "2026-01-05T00:00:00.000Z", "2026-02-04T00:00:00.000Z"],
    ["yesterday", "2026-02-02T00:00:00.000Z", "2026-02-03T00:00:00.000Z"],
    ["today so far", "2026-02-03T00:00:00.000Z", "2026-02-04T00:00:00.000Z"],
    ["this month", "2026-02-01T00:00:00.000Z", "2026-02-04T00:00:00.000Z"],
    ["the last 24 hours", "2026-02-02T17:42:10.001Z", "2026-02-03T17:42:10.001Z"],
    ["last 6 hours", "2026-02-03T11:42:10.001Z", "2026-02-03T17:42:10.001Z"],
    ["cost in January", "2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"],
    ["what did we spend in march?", "2025-03-01T00:00:00.000Z", "2025-04-01T00:00:00.000Z"],
    ["during Dec 2025", "2025-12-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"],
    ["february 2026 spend", "2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"],
    ["between 2026-01-10 and 2026-01-12", "2026-01-10T00:00:00.000Z", "2026-01-13T00:00:00.000Z"],
    ["from 2026-01-10 to 2026-01-10", "2026-01-10T00:00:00.000Z", "2026-01-11T00:00:00.000Z"],
    ["since 2026-01-30", "2026-01-30T00:00:00.000Z", "2026-02-04T00:00:00.000Z"],
    ["on 2026-01-15", "2026-01-15T00:00:00.000Z", "2026-01-16T00:00:00.000Z"],
  ])("%s → [%s, %s)", (text, from, to) => {
    const range = resolveTimeRange(text, LATEST);
    expect(range).not.toBeNull();
    expect(range?.from).toBe(from);
    expect(range?.to).toBe(to);
  });

  it.each(["where can I save money?", "may I see my costs", "compare gpt-4o and claude", "what did 2026 cost"])("finds no range in %j", (text) => {
    expect(resolveTimeRange(text, LATEST)).toBeNull();
  });

  it("explains that a relative range is read against the end of the data, not the wall clock", () => {
    const range = resolveTimeRange("last week", LATEST);
    expect(range?.phrase).toBe("last week");
    expect(range?.explanation).toContain("2026-02-03");
    expect(range?.explanation).toContain("not measured from today");
  });

  it("reads dates given in reverse order as the same days", () => {
    const range = resolveTimeRange("between 2026-01-12 and 2026-01-10", LATEST);
    expect([range?.from, range?.to]).toEqual(["2026-01-10T00:00:00.000Z", "2026-01-13T00:00:00.000Z"]);
  });
});
