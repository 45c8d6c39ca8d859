import { describe, expect, it } from "vitest";
import { fixtureItems, readFixture, written } from "./fixtures/read-all.ts";

const id = (n: number) => `7f1c2a9e-0000-4000-8000-00000000000${n}`;

describe("helicone format", () => {
  it("maps an OpenAI request row (prompt_tokens already includes cache reads), with latency and properties", async () => {
    const result = await readFixture("helicone.jsonl", { format: "helicone" });
    expect(result.records[0]).toEqual({
      id: id(1),
      timestamp: "2025-04-02T14:00:00.123Z",
      model: "gpt-4o-mini",
      provider: "openai",
      input_tokens: 1500,
      output_tokens: 200,
      cache_read_tokens: 1024,
      cache_write_tokens: 0,
      cost_usd: 0.000401,
      duration_ms: 1877,
      ttft_ms: 310,
      status: "success",
      user_id: "alice@example.com",
      feature: "summarize",
      environment: "staging",
      tags: ["feature=summarize", "environment=staging"],
      num_requests: 1,
    });
  });

  it("adds cache reads and writes back for Anthropic rows (their prompt_tokens excludes the cache)", async () => {
    const result = await readFixture("helicone.jsonl", { format: "helicone" });
    expect(result.records[1]).toMatchObject({
      input_tokens: 10040,
      cache_read_tokens: 9000,
      cache_write_tokens: 1000,
      output_tokens: 350,
      cost_usd: 0.0092,
      feature: "agent",
      session_id: "s-17",
    });
  });

  it("marks HTTP errors and Helicone cache hits, and rejects unreadable counts by line", async () => {
    const result = await readFixture("helicone.jsonl", { format: "helicone" });
    expect(result.records[2]).toMatchObject({ id: id(3), status: "error", error_type: "http_429" });
    expect(result.records[3]).toMatchObject({ id: id(4), status: "cache_hit" });
    expect(result.rejected).toEqual([{ line: 5, reason: 'prompt_tokens is not a number ("lots")' }]);
  });

  it("writes export rows with each provider's own prompt_tokens convention", async () => {
    const result = await readFixture("helicone.jsonl", { format: "helicone" });
    const [openaiRow, anthropicRow] = fixtureItems("helicone.jsonl");
    const fields = ["prompt_tokens", "completion_tokens", "prompt_cache_read_tokens", "prompt_cache_write_tokens", "latency"];
    const pick = (row: object | undefined) => Object.fromEntries(fields.map((f) => [f, (row as Record<string, unknown>)[f]]));
    const [first, second] = result.records;
    if (first === undefined || second === undefined) throw new Error("fixture rows missing");
    expect(pick(written("helicone", first))).toEqual(pick(openaiRow));
    expect(pick(written("helicone", second))).toEqual(pick(anthropicRow));
    expect(written("helicone", second)).toMatchObject({
      provider: "ANTHROPIC",
      cost: 0.0092,
      status: 200,
      properties: { "Helicone-Session-Id": "s-17", Feature: "agent" },
    });
    expect(written("helicone", { ...second, status: "error", error_type: "http_429" }).status).toBe(429);
  });
});
