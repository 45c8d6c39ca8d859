import { describe, expect, it } from "vitest";
import { readFixture } from "./fixtures/read-all.ts";

describe("openai-usage format", () => {
  it("maps each bucket result to a pre-aggregated record (num_requests, batch tier, attribution)", async () => {
    const result = await readFixture("openai-usage.jsonl", { format: "openai-usage" });
    const [first, second] = result.records;
    expect(first).toMatchObject({
      timestamp: "2024-11-01T00:00:00.000Z",
      model: "gpt-4o-mini-2024-07-18",
      provider: "openai",
      input_tokens: 1000,
      output_tokens: 500,
      cache_read_tokens: 800,
      num_requests: 5,
      project: "proj_abc",
      api_key_id: "key_1",
      operation: "chat",
    });
    expect(first?.service_tier).toBeUndefined();
    expect(first?.id).toMatch(/^openai-usage:[0-9a-f]{24}:0$/);
    expect(second).toMatchObject({
      model: "gpt-4o-2024-08-06",
      num_requests: 120,
      service_tier: "batch",
      input_tokens: 50000,
    });
  });

  it("skips empty groups, rejects one bad result of a bucket and keeps its others", async () => {
    const result = await readFixture("openai-usage.jsonl", { format: "openai-usage" });
    expect(result.records).toHaveLength(3);
    expect(result.lines).toEqual([1, 1, 2]);
    expect(result.records[2]).toMatchObject({ input_tokens: 300, num_requests: 3, service_tier: "priority" });
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]?.line).toBe(2);
    expect(result.rejected[0]?.reason).toMatch(
      /^record openai-usage:.*:0: cache_read_tokens \+ cache_write_tokens \(400\) exceeds input_tokens \(100\)/,
    );
  });

  it("reads a saved API page (pretty-printed, {object: page, data: [...]}) bucket by bucket", async () => {
    const result = await readFixture("openai-usage-page.json");
    expect(result.format).toBe("openai-usage");
    expect(result.rejected).toEqual([]);
    expect(result.records).toHaveLength(1);
    expect(result.records[0]).toMatchObject({
      input_tokens: 2000,
      cache_read_tokens: 1000,
      user_id: "user_9",
      num_requests: 4,
    });
  });
});
