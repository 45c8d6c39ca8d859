import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/names.ts";
import { openUsageReader } from "../read-usage.ts";
import { readLines } from "./fixtures/read-all.ts";

// The real Azure traces, read where the project keeps them (../shared/datasets), never copied into the repository.
const dataset = (name: string) => new URL(`../../../../shared/datasets/${name}`, import.meta.url).pathname;

async function readDataset(name: string) {
  const reader = await openUsageReader(dataset(name), { model: "gpt-4o-mini", feature: "code-completion" });
  let records = 0;
  let input = 0;
  let output = 0;
  const rejected: string[] = [];
  let first;
  for await (const item of reader.items) {
    if (item.kind === "rejected") rejected.push(item.reason);
    else {
      records += 1;
      input += item.record.input_tokens;
      output += item.record.output_tokens;
      first ??= item.record;
    }
  }
  return { format: reader.format, records, input, output, rejected, first };
}

/** Column sums straight from the text, as an independent check of the CSV reader. */
function columnSums(name: string): { rows: number; context: number; generated: number } {
  const rows = readFileSync(dataset(name), "utf8").trim().split(/\r?\n/).slice(1);
  let context = 0;
  let generated = 0;
  for (const row of rows) {
    const [, c, g] = row.split(",");
    context += Number(c);
    generated += Number(g);
  }
  return { rows: rows.length, context, generated };
}

describe("azure-trace format", () => {
  it.each([
    ["azure-llm-inference-2023-code.csv", 8819],
    ["azure-llm-inference-2023-conv.csv", 19366],
  ])("reads every row of the real trace %s (%i rows), detected automatically", async (name, rows) => {
    const result = await readDataset(name);
    const sums = columnSums(name);
    expect(result.format).toBe("azure-trace");
    expect(result.rejected).toEqual([]);
    expect(result.records).toBe(rows);
    expect(sums.rows).toBe(rows);
    expect(result.input).toBe(sums.context);
    expect(result.output).toBe(sums.generated);
  });

  it("maps a row: UTC timestamp with 7 fractional digits, model and feature from the options, a stable id", async () => {
    const { first } = await readDataset("azure-llm-inference-2023-code.csv");
    expect(first).toMatchObject({
      timestamp: "2023-11-16T18:17:03.979Z",
      model: "gpt-4o-mini",
      feature: "code-completion",
      input_tokens: 4808,
      output_tokens: 10,
    });
    const again = await readDataset("azure-llm-inference-2023-code.csv");
    expect(again.first?.id).toBe(first?.id);
    expect(first?.id).toMatch(/^azure-trace:[0-9a-f]{24}$/);
  });

  it("refuses to start without a model, since the trace names none", async () => {
    await expect(openUsageReader(dataset("azure-llm-inference-2023-conv.csv"))).rejects.toMatchObject({
      code: ErrorCode.INVALID_REQUEST,
      message: expect.stringMatching(/azure-trace format names no model/),
    });
  });

  it("rejects unreadable cells by line and keeps the rest", async () => {
    const result = await readLines(
      [
        "TIMESTAMP,ContextTokens,GeneratedTokens",
        "2023-11-16 18:15:46.6805900,374,44",
        "2023-11-16 18:15:47.0000000,abc,44",
        "2023-11-16 18:15:48.0000000,-5,44",
        "2023-13-45 99:99:99,374,44",
        "2023-11-16 18:15:50.9951690,396,109",
      ],
      { format: "azure-trace", model: "m" },
    );
    expect(result.records.map((r) => r.input_tokens)).toEqual([374, 396]);
    expect(result.rejected.map((r) => r.line)).toEqual([3, 4, 5]);
    expect(result.rejected[0]?.reason).toBe('ContextTokens is not a number ("abc")');
    expect(result.rejected[1]?.reason).toMatch(/^input_tokens: /);
    expect(result.rejected[2]?.reason).toMatch(/^TIMESTAMP is not a date-time/);
  });
});
