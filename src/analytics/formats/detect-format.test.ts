import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/names.ts";
import { openUsageReader } from "../read-usage.ts";
import { detectFormat } from "./detect-format.ts";
import { fixturePath, readLines } from "./fixtures/read-all.ts";

describe("auto detection", () => {
  it.each([
    ["openai.jsonl", "openai"],
    ["anthropic.jsonl", "anthropic"],
    ["openai-usage.jsonl", "openai-usage"],
    ["openai-usage-page.json", "openai-usage"],
    ["anthropic-usage.json", "anthropic-usage"],
    ["litellm.json", "litellm"],
    ["litellm.csv", "litellm"],
    ["langfuse.jsonl", "langfuse"],
    ["helicone.jsonl", "helicone"],
    ["otel.jsonl", "otel"],
    ["canonical.jsonl", "canonical"],
    ["canonical.csv", "canonical"],
  ])("names %s as %s", async (file, format) => {
    const reader = await openUsageReader(fixturePath(file), { startTime: "2025-01-01T00:00:00Z" });
    expect(reader.format).toBe(format);
    await reader.close();
  });

  it("refuses a file whose first lines belong to two formats, naming them and the supported formats", async () => {
    const lines = [
      '{"id":"chatcmpl-1","object":"chat.completion","created":1731000000,"model":"gpt-4o","usage":{"prompt_tokens":1,"completion_tokens":1}}',
      '{"timestamp":"2025-01-01T00:00:00Z","id":"msg_1","type":"message","model":"claude-3-5-haiku-20241022","usage":{"input_tokens":1,"output_tokens":1}}',
    ];
    const error = await readLines(lines).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.MIXED_FORMATS });
    expect((error as Error).message).toMatch(/openai \(line 1\) and anthropic \(line 2\)/);
    expect((error as Error).message).toMatch(/supported formats: otel, openai-usage, .*, canonical/);
  });

  it("refuses an unknown format with the fields it saw and the supported formats", async () => {
    const error = await readLines(["name,age", "ada,36"]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.UNKNOWN_FORMAT });
    expect((error as Error).message).toMatch(/fields name, age\)/);
    expect((error as Error).message).toMatch(/supported formats: .*mooncake, canonical/);
  });

  it("ignores unrecognisable lines in the sample: the chosen format rejects them with their line numbers", async () => {
    const result = await readLines([
      '{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1]}',
      "{not json",
      '{"something": "else"}',
      '{"timestamp": 5, "input_length": 20, "output_length": 2, "hash_ids": [1, 2]}',
    ], { model: "m" });
    expect(result.format).toBe("mooncake");
    expect(result.records).toHaveLength(2);
    expect(result.rejected.map((r) => r.line)).toEqual([2, 3]);
  });

  it("detectFormat takes the first matching format of each item", () => {
    expect(detectFormat([{ line: 1, item: { resourceSpans: [] } }], "x")).toBe("otel");
    expect(() => detectFormat([], "empty.jsonl")).toThrow(/Could not recognise the usage format of empty.jsonl/);
  });
});
