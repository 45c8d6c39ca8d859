import { describe, expect, it } from "vitest";
import { byId, fixtureItems, readFixture, without, written } from "./fixtures/read-all.ts";

describe("openai format", () => {
  it("maps Chat Completions usage: cached ⊂ prompt, reasoning ⊂ completion, created in epoch seconds", async () => {
    const result = await readFixture("openai.jsonl", { format: "openai" });
    expect(byId(result, "chatcmpl-A1")).toEqual({
      id: "chatcmpl-A1",
      timestamp: "2024-11-07T17:20:00.000Z",
      model: "gpt-4o-2024-08-06",
      provider: "openai",
      input_tokens: 1200,
      output_tokens: 300,
      cache_read_tokens: 1024,
      reasoning_tokens: 128,
      status: "success",
      finish_reason: "stop",
      service_tier: "standard",
      operation: "chat",
      num_requests: 1,
    });
  });

  it("maps a Responses object: input/output_tokens details, truncation, flex tier, request parameters", async () => {
    const record = byId(await readFixture("openai.jsonl", { format: "openai" }), "resp_B2");
    expect(record).toMatchObject({
      timestamp: "2024-11-07T17:21:00.000Z",
      model: "o4-mini-2025-04-16",
      input_tokens: 2000,
      cache_read_tokens: 1500,
      output_tokens: 500,
      reasoning_tokens: 200,
      finish_reason: "length",
      max_tokens: 500,
      temperature: 1,
      service_tier: "flex",
      user_id: "user-42",
    });
  });

  it("maps embeddings lists and Batch API output lines (batch tier, custom_id as id)", async () => {
    const result = await readFixture("openai.jsonl", { format: "openai" });
    const embedding = result.records.find((r) => r.operation === "embeddings");
    expect(embedding).toMatchObject({
      model: "text-embedding-3-small",
      input_tokens: 42,
      output_tokens: 0,
      timestamp: "2024-11-07T17:23:00.000Z",
    });
    expect(embedding?.id).toMatch(/^openai:[0-9a-f]{24}$/);
    expect(byId(result, "job-7")).toMatchObject({ service_tier: "batch", input_tokens: 300, output_tokens: 20 });
  });

  it("rejects cached > prompt, bad JSON and negative counts with their line numbers, keeping the good lines", async () => {
    const result = await readFixture("openai.jsonl", { format: "openai" });
    expect(result.records.map((r) => r.id)).toEqual(["chatcmpl-A1", "resp_B2", result.records[2]?.id, "job-7"]);
    expect(result.lines).toEqual([1, 2, 5, 6]);
    expect(result.rejected.map((r) => r.line)).toEqual([3, 4, 7]);
    expect(result.rejected[0]?.reason).toBe(
      "cache_read_tokens + cache_write_tokens (2000) exceeds input_tokens (1000); input_tokens must include cached tokens",
    );
    expect(result.rejected[1]?.reason).toMatch(/^invalid JSON/);
    expect(result.rejected[2]?.reason).toMatch(/^input_tokens: .*>=0/);
  });

  it("writes a record back as the Responses object it was read from: created_at in seconds, inclusive usage", async () => {
    const source = fixtureItems("openai.jsonl").find((item) => item.id === "resp_B2");
    const record = byId(await readFixture("openai.jsonl", { format: "openai" }), "resp_B2");
    expect(written("openai", record)).toEqual({
      ...without(source, "user"),
      error: null,
      safety_identifier: "user-42",
      output: [],
    });
  });

  it("writes batch tier calls as Batch API output lines and failed calls as failed responses", async () => {
    const record = byId(await readFixture("openai.jsonl", { format: "openai" }), "job-7");
    const line = written("openai", record);
    expect(line).toMatchObject({ custom_id: "job-7", response: { status_code: 200 }, error: null });
    expect(line.response).toMatchObject({ body: { object: "response", created_at: 1731000240, service_tier: "default" } });
    const failed = written("openai", { ...record, service_tier: "priority", status: "error", error_type: "server_error" });
    expect(failed).toMatchObject({ status: "failed", error: { code: "server_error" }, service_tier: "priority" });
  });
});
