import { describe, expect, it } from "vitest";
import { openUsageReader } from "../read-usage.ts";
import type { UsageRecord } from "../record.ts";
import { readLines } from "./fixtures/read-all.ts";

const TRACE = new URL("../../../../shared/datasets/mooncake-synthetic-trace.jsonl", import.meta.url).pathname;

async function readTrace(startTime?: string): Promise<{ format: string; records: UsageRecord[]; rejected: number }> {
  const reader = await openUsageReader(TRACE, { model: "deepseek-chat", ...(startTime ? { startTime } : {}) });
  const records: UsageRecord[] = [];
  let rejected = 0;
  for await (const item of reader.items) {
    if (item.kind === "record") records.push(item.record);
    else rejected += 1;
  }
  return { format: reader.format, records, rejected };
}

describe("mooncake format", () => {
  it("reads all 3,993 requests of the real trace, detected automatically, from the default start time", async () => {
    const { format, records, rejected } = await readTrace();
    expect(format).toBe("mooncake");
    expect(rejected).toBe(0);
    expect(records).toHaveLength(3993);
    expect(records[0]).toMatchObject({
      timestamp: "2024-01-01T00:00:00.000Z",
      model: "deepseek-chat",
      input_tokens: 40160,
      output_tokens: 6,
      prefix_tokens: 78 * 512,
    });
  });

  it("gives equal prefix hashes to equal leading blocks (26,355,712 reusable tokens, as measured)", async () => {
    const { records } = await readTrace();
    const seen = new Set<string>();
    let reusable = 0;
    for (const r of records) {
      if (r.prefix_hash === undefined) continue;
      if (seen.has(r.prefix_hash)) reusable += r.prefix_tokens ?? 0;
      seen.add(r.prefix_hash);
    }
    expect(reusable).toBe(26_355_712);
  });

  it("offsets timestamps from the given start time and hashes only the leading blocks", async () => {
    const result = await readLines(
      [
        '{"timestamp": 0, "input_length": 1500, "output_length": 10, "hash_ids": [1, 2, 3]}',
        '{"timestamp": 2500, "input_length": 1400, "output_length": 12, "hash_ids": [1, 2, 9]}',
        '{"timestamp": 3000, "input_length": 1400, "output_length": 12, "hash_ids": [1, 7, 9]}',
        '{"timestamp": 4000, "input_length": 300, "output_length": 3, "hash_ids": [4]}',
        '{"timestamp": 5000, "input_length": 300, "output_length": -3, "hash_ids": [5]}',
      ],
      { format: "mooncake", model: "m", startTime: "2025-06-01T10:00:00Z" },
    );
    const [a, b, c, d] = result.records;
    expect(a?.timestamp).toBe("2025-06-01T10:00:00.000Z");
    expect(b?.timestamp).toBe("2025-06-01T10:00:02.500Z");
    expect(a?.prefix_hash).toBe(b?.prefix_hash);
    expect(a?.prefix_tokens).toBe(1024);
    expect(c?.prefix_hash).not.toBe(a?.prefix_hash);
    expect(d?.prefix_hash).toBeUndefined();
    expect(result.rejected).toEqual([{ line: 5, reason: expect.stringMatching(/^output_tokens: /) as unknown as string }]);
  });
});
