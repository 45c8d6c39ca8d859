import { describe, expect, it } from "vitest";
import { byId, readFixture } from "./fixtures/read-all.ts";

describe("canonical format", () => {
  it("passes canonical JSON lines through the schema and rejects invariant breaks by line", async () => {
    const result = await readFixture("canonical.jsonl");
    expect(result.format).toBe("canonical");
    expect(byId(result, "r1")).toEqual({
      id: "r1",
      timestamp: "2025-05-01T08:00:00.000Z",
      model: "gpt-4o",
      provider: "openai",
      input_tokens: 1000,
      output_tokens: 200,
      cache_read_tokens: 600,
      reasoning_tokens: 0,
      cost_usd: 0.0042,
      feature: "search",
      tags: ["a", "b"],
      service_tier: "batch",
      stream: false,
      status: "success",
      num_requests: 1,
    });
    expect(result.rejected).toEqual([
      { line: 2, reason: "reasoning_tokens (30) exceeds output_tokens (20); output_tokens must include reasoning tokens" },
      { line: 4, reason: expect.stringMatching(/^status: /) as unknown as string },
    ]);
  });

  it("synthesizes a stable id from the content when a line has none", async () => {
    const [a, b] = [await readFixture("canonical.jsonl"), await readFixture("canonical.jsonl")];
    const synthesized = a.records.find((r) => r.id.startsWith("canonical:"));
    expect(synthesized?.input_tokens).toBe(5);
    expect(b.records.map((r) => r.id)).toEqual(a.records.map((r) => r.id));
  });

  it("reads canonical CSV: numbers, booleans and tags from cells, empty cells as absent", async () => {
    const result = await readFixture("canonical.csv");
    expect(result.format).toBe("canonical");
    expect(byId(result, "c1")).toEqual({
      id: "c1",
      timestamp: "2025-05-02T00:00:00.000Z",
      model: "gpt-4o-mini",
      input_tokens: 100,
      output_tokens: 5,
      cost_usd: 0.00002,
      stream: true,
      tags: ["x", "y"],
      feature: "checkout, cart",
      status: "success",
      num_requests: 1,
    });
    expect(byId(result, "c2")).toMatchObject({ cache_read_tokens: 20, stream: false, tags: ["p", "q"] });
  });
});
