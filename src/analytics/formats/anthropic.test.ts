import { describe, expect, it } from "vitest";
import { byId, fixtureItems, readFixture, written } from "./fixtures/read-all.ts";

describe("anthropic format", () => {
  it("adds cache reads and writes back into input (Anthropic's input_tokens excludes them)", async () => {
    const result = await readFixture("anthropic.jsonl", { format: "anthropic" });
    expect(byId(result, "msg_01A")).toEqual({
      id: "msg_01A",
      timestamp: "2025-03-10T09:00:00.000Z",
      model: "claude-sonnet-4-20250514",
      provider: "anthropic",
      input_tokens: 12050,
      output_tokens: 400,
      cache_read_tokens: 10000,
      cache_write_tokens: 2000,
      status: "success",
      finish_reason: "end_turn",
      service_tier: "standard",
      operation: "chat",
      num_requests: 1,
    });
  });

  it("sums the 5m and 1h cache_creation split when the total is absent; max_tokens stop = length", async () => {
    const record = byId(await readFixture("anthropic.jsonl", { format: "anthropic" }), "msg_01B");
    expect(record).toMatchObject({
      input_tokens: 520,
      cache_read_tokens: 0,
      cache_write_tokens: 500,
      output_tokens: 1024,
      finish_reason: "length",
      service_tier: "priority",
      timestamp: "2025-03-10T09:00:05.250Z",
    });
  });

  it("rejects lines without a time unless a start time is given, and negative counts", async () => {
    const result = await readFixture("anthropic.jsonl", { format: "anthropic" });
    expect(result.records.map((r) => r.id)).toEqual(["msg_01A", "msg_01B"]);
    expect(result.rejected.map((r) => r.line)).toEqual([3, 4, 5]);
    expect(result.rejected[0]?.reason).toMatch(/^no time: .*timestamp/);
    expect(result.rejected[2]?.reason).toMatch(/^output_tokens: /);

    const withStart = await readFixture("anthropic.jsonl", { format: "anthropic", startTime: "2025-03-10T08:00:00Z" });
    expect(byId(withStart, "nightly-3")).toMatchObject({
      timestamp: "2025-03-10T08:00:00.000Z",
      service_tier: "batch",
      input_tokens: 700,
      output_tokens: 80,
    });
    expect(byId(withStart, "msg_01D").timestamp).toBe("2025-03-10T08:00:00.000Z");
  });

  it("writes a record back as the Messages response it was read from, input exclusive of the cache again", async () => {
    const result = await readFixture("anthropic.jsonl", { format: "anthropic", startTime: "2025-03-10T10:00:00Z" });
    const source = fixtureItems("anthropic.jsonl")[0] ?? {};
    expect(written("anthropic", byId(result, "msg_01A"))).toEqual({
      ...source,
      timestamp: "2025-03-10T09:00:00.000Z",
      content: [],
    });
    const batch = written("anthropic", byId(result, "nightly-3"));
    expect(batch).toMatchObject({ custom_id: "nightly-3", result: { type: "succeeded", message: { type: "message" } } });
    expect(batch.result).toMatchObject({ message: { usage: { input_tokens: 700, output_tokens: 80, service_tier: "batch" } } });
  });
});
