import { describe, expect, it } from "vitest";
import { byId, fixtureItems, readFixture, written } from "./fixtures/read-all.ts";

interface SourceSpan {
  traceId: string;
  spanId: string;
  attributes: { key: string; value: unknown }[];
}

describe("otel format", () => {
  it("maps every gen_ai span of an OTLP/JSON export line and skips the others", async () => {
    const result = await readFixture("otel.jsonl", { format: "otel" });
    expect(result.records.map((r) => r.id)).toEqual(["eee19b7ec3c1b174", "bbb19b7ec3c1b176", "eee19b7ec3c1b179"]);
    expect(result.lines).toEqual([1, 1, 2]);
    expect(byId(result, "eee19b7ec3c1b174")).toEqual({
      id: "eee19b7ec3c1b174",
      timestamp: "2025-01-01T12:00:00.123Z",
      model: "gpt-4o-2024-08-06",
      provider: "openai",
      input_tokens: 3000,
      output_tokens: 250,
      cache_read_tokens: 2048,
      duration_ms: 2500,
      status: "success",
      finish_reason: "stop",
      max_tokens: 1000,
      temperature: 0.2,
      operation: "chat",
      session_id: "conv-1",
      trace_id: "5b8efff798038103d269b633813fc60c",
      environment: "production",
      num_requests: 1,
    });
  });

  it("reads status code 2 as an error, gen_ai.provider.name and cache creation", async () => {
    const record = byId(await readFixture("otel.jsonl", { format: "otel" }), "bbb19b7ec3c1b176");
    expect(record).toMatchObject({
      provider: "anthropic",
      model: "claude-sonnet-4-20250514",
      input_tokens: 1200,
      cache_write_tokens: 1100,
      status: "error",
      error_type: "overloaded_error",
      duration_ms: 500,
    });
  });

  it("rejects a bad span by its position and keeps the other spans of the same line", async () => {
    const result = await readFixture("otel.jsonl", { format: "otel" });
    expect(byId(result, "eee19b7ec3c1b179")).toMatchObject({ operation: "embeddings", input_tokens: 64, output_tokens: 0 });
    expect(result.rejected).toEqual([
      {
        line: 2,
        reason: 'resourceSpans[0].scopeSpans[0].spans[0]: startTimeUnixNano is not unix nanoseconds ("not-a-time")',
      },
      {
        line: 2,
        reason:
          "record ddd19b7ec3c1b178: cache_read_tokens + cache_write_tokens (11) exceeds input_tokens (10); input_tokens must include cached tokens",
      },
    ]);
  });

  it("writes one OTLP/JSON export a call: resourceSpans nesting, unix-nanos strings, gen_ai attributes", async () => {
    const record = byId(await readFixture("otel.jsonl", { format: "otel" }), "eee19b7ec3c1b174");
    const source = fixtureItems("otel.jsonl")[0] as { resourceSpans: { scopeSpans: { spans: SourceSpan[] }[] }[] };
    const sourceSpan = source.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    const out = written("otel", record) as unknown as typeof source;
    const span = out.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(span).toMatchObject({
      traceId: sourceSpan?.traceId,
      spanId: sourceSpan?.spanId,
      kind: 3,
      startTimeUnixNano: "1735732800123000000",
      endTimeUnixNano: "1735732802623456789".slice(0, 13) + "000000",
    });
    // Every usage and request attribute of the source span is written with the same key and OTLP value type.
    const kept = (sourceSpan?.attributes ?? []).filter((a) => /^gen_ai\.(usage|request\.max|response\.finish)/.test(a.key));
    expect(kept.length).toBeGreaterThan(3);
    for (const attribute of kept) expect(span?.attributes).toContainEqual(attribute);
    expect(written("otel", { ...record, id: "gen-1-000001" })).toMatchObject({
      resourceSpans: [{ scopeSpans: [{ spans: [{ spanId: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown }] }] }],
    });
  });
});
