import { describe, expect, it } from "vitest";
import { byId, fixtureItems, readFixture, without, written } from "./fixtures/read-all.ts";

describe("langfuse format", () => {
  it("adds cached tokens back into input and reasoning tokens back into output (Langfuse subtracts them)", async () => {
    const result = await readFixture("langfuse.jsonl", { format: "langfuse" });
    expect(byId(result, "gen-1")).toMatchObject({
      timestamp: "2025-02-01T12:00:00.000Z",
      model: "gpt-4o-2024-08-06",
      input_tokens: 2000,
      cache_read_tokens: 1200,
      output_tokens: 500,
      reasoning_tokens: 350,
      cost_usd: 0.0085,
      duration_ms: 3000,
      ttft_ms: 800,
      temperature: 0,
      max_tokens: 800,
      status: "success",
      user_id: "user-1",
      session_id: "session-1",
      trace_id: "trace-a",
      environment: "production",
    });
  });

  it("adds Anthropic-style cache read and creation keys back into input", async () => {
    const record = byId(await readFixture("langfuse.jsonl", { format: "langfuse" }), "gen-2");
    expect(record).toMatchObject({
      input_tokens: 4530,
      cache_read_tokens: 4000,
      cache_write_tokens: 500,
      output_tokens: 90,
      cost_usd: 0.0031,
      duration_ms: 1500,
    });
  });

  it("reads the legacy usage object, marks ERROR level as error, skips non-generation observations", async () => {
    const result = await readFixture("langfuse.jsonl", { format: "langfuse" });
    expect(byId(result, "gen-3")).toMatchObject({
      input_tokens: 640,
      output_tokens: 32,
      status: "error",
      error_type: "Rate limit reached for gpt-4o-mini",
    });
    expect(result.records.map((r) => r.id)).toEqual(["gen-1", "gen-2", "gen-3", "gen-4", "gen-5"]);
    expect(result.rejected).toEqual([{ line: 7, reason: "generation has neither usageDetails nor usage" }]);
  });

  it("derives request_hash (not max_tokens, not key order) and prefix_hash from the request text", async () => {
    const result = await readFixture("langfuse.jsonl", { format: "langfuse" });
    const [first, again, other] = [byId(result, "gen-1"), byId(result, "gen-4"), byId(result, "gen-5")];
    expect(first.request_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(again.request_hash).toBe(first.request_hash);
    expect(other.request_hash).not.toBe(first.request_hash);
    expect(other.prefix_hash).toBe(first.prefix_hash);
    expect(byId(result, "gen-2").request_hash).toBeUndefined();
  });

  it("writes a GENERATION observation with Langfuse's exclusive usageDetails keys", async () => {
    const result = await readFixture("langfuse.jsonl", { format: "langfuse" });
    const [gen1, gen2] = fixtureItems("langfuse.jsonl");
    // The request and response text and the observation name are not in the canonical record.
    expect(written("langfuse", byId(result, "gen-1"))).toMatchObject({
      ...without(gen1, "input", "output", "name"),
      modelParameters: { temperature: 0, max_tokens: 800 },
      costDetails: { total: 0.0085 },
    });
    const anthropicCall = { ...byId(result, "gen-2"), provider: "anthropic" };
    expect(written("langfuse", anthropicCall).usageDetails).toEqual({ ...gen2?.usageDetails as object, total: 4620 });
  });
});
