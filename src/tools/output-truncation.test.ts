import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalysisResult } from "./opportunity.ts";
import { outputTruncationTool } from "./output-truncation.ts";
import { at, call, oneDayPeriod, openToolTestBench, type ToolTestBench } from "./tool-test-bench.ts";

// gpt-4o: 2.5e-6 per input token, 1e-5 per output token; a cut call of 1000 in + 256 out costs 0.00506.

describe("find_output_truncation", () => {
  let bench: ToolTestBench;
  beforeAll(async () => {
    bench = await openToolTestBench();
    const chat = { model: "gpt-4o", provider: "openai", feature: "chat", input_tokens: 1000 };
    await bench.insert("alice", [
      ...oneDayPeriod(),
      ...Array.from({ length: 12 }, (_, i) => [
        call({ ...chat, id: `cut-${i}`, timestamp: at(1000 + 100 * i), request_hash: `R${i}`, output_tokens: 256, max_tokens: 256, finish_reason: "length" }),
        call({ ...chat, id: `again-${i}`, timestamp: at(1005 + 100 * i), request_hash: `R${i}`, output_tokens: 600, max_tokens: 1024, finish_reason: "stop" }),
      ]).flat(),
      // Cut but never re-sent: counted, not priced as savings.
      call({ ...chat, id: "cut-alone", timestamp: at(5000), request_hash: "RX", output_tokens: 256, max_tokens: 256, finish_reason: "length" }),
    ]);
  });
  afterAll(async () => bench?.close());

  it("prices the truncated calls that were re-sent and proposes a max_tokens that fits", async () => {
    const { opportunities } = await bench.run<AnalysisResult>(outputTruncationTool, "alice");
    expect(opportunities.map((o) => o.scope)).toEqual([{ feature: "chat", model: "gpt-4o" }]);
    const [o] = opportunities;
    // 12 x 0.00506 = 0.06072 a day.
    expect(o?.est_monthly_savings_usd).toBeCloseTo(0.06072 * 30, 6);
    expect(o?.evidence.counts).toMatchObject({ truncated_calls: 13, retried_calls: 12, max_tokens: 256 });
    // p99 of the outputs (13 x 256, 12 x 600) is 600: rounded up to 768, above 2 x 256.
    expect(o?.actions[0]?.step).toBe("Set max_tokens to 768 for chat");
    expect(o?.evidence.example_record_ids).toEqual(["cut-0", "cut-1", "cut-2", "cut-3", "cut-4"]);
  });

  it("needs the minimum retried calls and sees only the caller's rows", async () => {
    expect((await bench.run<AnalysisResult>(outputTruncationTool, "alice", { minRetried: 13 })).opportunities).toEqual([]);
    expect((await bench.run<AnalysisResult>(outputTruncationTool, "bob")).opportunities).toEqual([]);
  });
});
