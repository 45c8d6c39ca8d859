import { describe, expect, it } from "vitest";
import { readFixture, readLines } from "./fixtures/read-all.ts";

describe("anthropic-usage format", () => {
  it("sums uncached + cache read + 5m/1h cache creation into input (the report's parts exclude each other)", async () => {
    const result = await readFixture("anthropic-usage.json", { format: "anthropic-usage" });
    expect(result.records[0]).toMatchObject({
      timestamp: "2025-08-01T00:00:00.000Z",
      model: "claude-sonnet-4-20250514",
      provider: "anthropic",
      input_tokens: 203000,
      cache_read_tokens: 200000,
      cache_write_tokens: 1500,
      output_tokens: 12000,
      service_tier: "standard",
      project: "wrkspc_01JwQ",
      api_key_id: "apikey_01Rj",
      num_requests: 1,
    });
    expect(result.records[1]).toMatchObject({ input_tokens: 800, cache_write_tokens: 0, service_tier: "batch" });
  });

  it("needs a model for results not grouped by model, and fills it from the options", async () => {
    const without = await readFixture("anthropic-usage.json", { format: "anthropic-usage" });
    expect(without.records).toHaveLength(2);
    expect(without.rejected).toHaveLength(1);
    expect(without.rejected[0]?.reason).toMatch(/no model name/);
    const withModel = await readFixture("anthropic-usage.json", { format: "anthropic-usage", model: "claude-opus-4-1" });
    expect(withModel.records[2]).toMatchObject({ model: "claude-opus-4-1", input_tokens: 15, service_tier: "priority" });
  });

  it("reads flat cache_creation_5m/1h fields, one bucket a line", async () => {
    const bucket = {
      starting_at: "2025-08-03T00:00:00Z",
      ending_at: "2025-08-04T00:00:00Z",
      results: [
        {
          uncached_input_tokens: 100,
          cache_read_input_tokens: 50,
          cache_creation_5m_input_tokens: 30,
          cache_creation_1h_input_tokens: 20,
          output_tokens: 9,
          model: "claude-sonnet-4-20250514",
        },
      ],
    };
    const result = await readLines([JSON.stringify(bucket)]);
    expect(result.format).toBe("anthropic-usage");
    expect(result.records[0]).toMatchObject({ input_tokens: 200, cache_read_tokens: 50, cache_write_tokens: 50 });
  });
});
