import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/names.ts";
import { UsageRecordSchema } from "../record.ts";
import { mapperFor } from "./catalog.ts";
import { readLines } from "./fixtures/read-all.ts";
import { FORMAT_NAMES, type FormatName } from "./format.ts";
import { sourceWriterFor } from "./source-writer.ts";

const record = UsageRecordSchema.parse({
  id: "call-1",
  timestamp: "2026-01-05T00:00:00.000Z",
  model: "gpt-4o",
  input_tokens: 100,
  output_tokens: 5,
  feature: 'say "hi", then\nleave',
  user_id: "line\r\nbreak",
  tags: ["a,b", 'q"t'],
});

describe("source writer", () => {
  it("writes CSV with a header and RFC 4180 quoting that the CSV reader reads back", async () => {
    const writer = sourceWriterFor("canonical", "csv");
    expect(writer.head).toMatch(/^id,timestamp,model,provider,input_tokens,/);
    const line = writer.line(record);
    expect(line).toContain('"say ""hi"", then\nleave"');
    expect(line).toContain('"[""a,b"",""q\\""t""]"');
    const back = await readLines([writer.head + line]);
    expect(back.rejected).toEqual([]);
    expect(back.records).toEqual([record]);
  });

  it("writes JSON Lines, one item a line, and keeps ids unless the format re-encodes them", () => {
    const writer = sourceWriterFor("langfuse");
    expect(writer.head).toBe("");
    expect(writer.line(record).split("\n")).toHaveLength(2);
    expect(writer.readId("call-1")).toBe("call-1");
    expect(sourceWriterFor("otel").readId("call-1")).toMatch(/^[0-9a-f]{16}$/);
    expect(sourceWriterFor("otel").readId("00f067aa0ba902b7")).toBe("00f067aa0ba902b7");
  });
});

describe("formats that hold no single call are refused", () => {
  it.each([
    ["openai-usage", /Cannot write the openai-usage format: Usage API buckets .*write openai/],
    ["anthropic-usage", /Cannot write the anthropic-usage format: usage report buckets .*write anthropic/],
    ["azure-trace", /Cannot write the azure-trace format: .*no id, model/],
    ["mooncake", /Cannot write the mooncake format: .*no id or model/],
  ] as const)("%s", (format, message) => {
    expect(() => sourceWriterFor(format)).toThrow(message);
    expect(() => sourceWriterFor(format)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_PARAMETERS }));
  });

  it("every format either writes or says why not", () => {
    for (const name of FORMAT_NAMES) {
      const mapper = mapperFor(name);
      expect(mapper.writer === undefined, name).toBe(mapper.unwritable !== undefined);
    }
  });

  it("refuses CSV for formats exported as JSON only, and unknown names", () => {
    expect(() => sourceWriterFor("otel", "csv")).toThrow(/otel format is written as JSON Lines only; CSV .*canonical/);
    expect(() => sourceWriterFor("nope" as FormatName)).toThrow(/Unknown usage format "nope"; formats that can be written/);
  });
});
