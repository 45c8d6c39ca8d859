import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/names.ts";
import {
  millisBetween,
  readBoolean,
  readNumber,
  readObject,
  readServiceTier,
  readTimestamp,
  sumCounts,
} from "./source-values.ts";

describe("source values", () => {
  it.each([
    ["2023-11-16 18:17:03.9799600", "2023-11-16T18:17:03.979Z"],
    ["2024-06-05 08:00:00.000+00", "2024-06-05T08:00:00.000Z"],
    ["2024-06-04T10:15:00.250000Z", "2024-06-04T10:15:00.250Z"],
    ["2025-05-01T10:00:01+02:00", "2025-05-01T08:00:01.000Z"],
    ["2025-05-01T10:00:01.5-0130", "2025-05-01T11:30:01.500Z"],
    [1731000000, "2024-11-07T17:20:00.000Z"],
    [1731000000123, "2024-11-07T17:20:00.123Z"],
    ["1731000000", "2024-11-07T17:20:00.000Z"],
    ["2025-03-10", "2025-03-10T00:00:00.000Z"],
  ])("reads the date-time %s as %s (no zone means UTC)", (value, iso) => {
    expect(readTimestamp(value, "t")).toBe(iso);
  });

  it("treats null and empty cells as absent and rejects unreadable values naming the field", () => {
    expect(readTimestamp("", "t")).toBeUndefined();
    expect(readNumber(null, "n")).toBeUndefined();
    expect(readNumber(" 42 ", "n")).toBe(42);
    expect(() => readTimestamp("next tuesday", "startTime")).toThrow(/startTime is not a date-time/);
    expect(() => readNumber("12abc", "prompt_tokens")).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_RECORD, message: 'prompt_tokens is not a number ("12abc")' }),
    );
  });

  it("reads booleans, JSON-string objects, tiers, sums and durations as exports write them", () => {
    expect([readBoolean("True"), readBoolean("f"), readBoolean(1), readBoolean("maybe")]).toEqual([
      true,
      false,
      true,
      undefined,
    ]);
    expect(readObject('{"a": 1}')).toEqual({ a: 1 });
    expect(readObject("{broken")).toBeUndefined();
    expect(["default", "batch", "flex_discount", "priority_on_demand", "scale"].map(readServiceTier)).toEqual([
      "standard",
      "batch",
      "flex",
      "priority",
      undefined,
    ]);
    expect(sumCounts(undefined, 2, 3)).toBe(5);
    expect(sumCounts(undefined, undefined)).toBeUndefined();
    expect(millisBetween("2025-01-01T00:00:00.000Z", "2025-01-01T00:00:01.250Z")).toBe(1250);
    expect(millisBetween("2025-01-01T00:00:02.000Z", "2025-01-01T00:00:01.000Z")).toBeUndefined();
  });
});
