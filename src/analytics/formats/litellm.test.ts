import { describe, expect, it } from "vitest";
import { byId, readFixture, written } from "./fixtures/read-all.ts";

describe("litellm format", () => {
  it("maps a SpendLogs row (JSON array export): tokens, cached split from usage_object, latency, attribution", async () => {
    const result = await readFixture("litellm.json", { format: "litellm" });
    expect(byId(result, "chatcmpl-9f1")).toEqual({
      id: "chatcmpl-9f1",
      timestamp: "2024-06-04T10:15:00.250Z",
      model: "gpt-4o-2024-05-13",
      provider: "openai",
      input_tokens: 1400,
      output_tokens: 130,
      cache_read_tokens: 1152,
      reasoning_tokens: 0,
      cost_usd: 0.00215,
      duration_ms: 1750,
      ttft_ms: 400,
      status: "success",
      operation: "chat",
      user_id: "customer-77",
      session_id: "sess-1",
      api_key_id: "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
      project: "team-support",
      tags: ["support", "tier-1"],
      num_requests: 1,
    });
  });

  it("maps failures (error class from metadata as a JSON string), cache hits and embeddings", async () => {
    const result = await readFixture("litellm.json", { format: "litellm" });
    expect(byId(result, "chatcmpl-9f2")).toMatchObject({
      status: "error",
      error_type: "RateLimitError",
      duration_ms: 30000,
    });
    expect(byId(result, "chatcmpl-9f2").tags).toBeUndefined();
    expect(byId(result, "chatcmpl-9f3")).toMatchObject({ status: "cache_hit", operation: "embeddings", input_tokens: 12 });
    expect(result.rejected).toEqual([{ line: 70, reason: 'startTime is not a date-time ("yesterday")' }]);
  });

  it("reads the CSV export: quoted JSON with commas and doubled quotes, a newline inside a cell, CRLF", async () => {
    const result = await readFixture("litellm.csv");
    expect(result.format).toBe("litellm");
    expect(byId(result, "req-csv-1")).toMatchObject({
      timestamp: "2024-06-05T08:00:00.000Z",
      model: "claude-3-5-sonnet-20240620",
      provider: "anthropic",
      input_tokens: 5000,
      output_tokens: 300,
      cache_read_tokens: 4096,
      cache_write_tokens: 512,
      cost_usd: 0.0123,
      duration_ms: 4500,
      ttft_ms: 1000,
      user_id: "u1",
      tags: ["nightly", "report"],
    });
    expect(byId(result, "req-csv-1").request_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(byId(result, "req-csv-1").prefix_hash).toBeUndefined();
    expect(byId(result, "req-csv-2")).toMatchObject({ status: "cache_hit", input_tokens: 100, output_tokens: 10 });
    expect(byId(result, "req-csv-2").request_hash).toBeUndefined();
    expect(result.lines).toEqual([2, 4]);
    expect(result.rejected).toEqual([{ line: 5, reason: "row has 11 fields, the header has 22" }]);
  });

  it("writes a SpendLogs row: spend, inclusive prompt_tokens, the cache split in metadata.usage_object", async () => {
    const record = byId(await readFixture("litellm.json", { format: "litellm" }), "chatcmpl-9f1");
    expect(written("litellm", record)).toEqual({
      request_id: "chatcmpl-9f1",
      call_type: "acompletion",
      api_key: "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
      spend: 0.00215,
      total_tokens: 1530,
      prompt_tokens: 1400,
      completion_tokens: 130,
      startTime: "2024-06-04T10:15:00.250Z",
      endTime: "2024-06-04T10:15:02.000Z",
      completionStartTime: "2024-06-04T10:15:00.650Z",
      model: "gpt-4o-2024-05-13",
      model_group: "gpt-4o-2024-05-13",
      custom_llm_provider: "openai",
      end_user: "customer-77",
      metadata: {
        usage_object: {
          prompt_tokens: 1400,
          completion_tokens: 130,
          total_tokens: 1530,
          prompt_tokens_details: { cached_tokens: 1152 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
      cache_hit: "False",
      request_tags: ["support", "tier-1"],
      team_id: "team-support",
      session_id: "sess-1",
      status: "success",
    });
  });
});
