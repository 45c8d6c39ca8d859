import { describe, expect, it } from "vitest";
import { ingestUsage } from "./ingest.ts";
import { readUsageLines } from "./read-usage.ts";
import { openUsageStore } from "./open-usage-store.ts";

const line = (id: string, model: string, input: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, timestamp: "2026-03-01T10:00:00Z", model, input_tokens: input, output_tokens: 10, ...extra });

// A pricer the test controls: $1 per 1k input tokens for "known", no price for anything else.
const price = (r: { model: string; input_tokens: number; cost_usd?: number }) => {
  const computed = r.model === "known" ? r.input_tokens / 1000 : null;
  const mismatch = computed !== null && r.cost_usd !== undefined && Math.abs(r.cost_usd - computed) > 0.01 * computed;
  return { computed_cost_usd: computed, cost_mismatch: mismatch };
};

describe("ingestUsage", () => {
  it("prices and stores good records, reports bad lines with their numbers, and is idempotent", async () => {
    const lines = [
      line("a", "known", 1000),
      "{not json",
      line("b", "known", 2000, { cost_usd: 5 }),
      line("c", "mystery-model", 10),
      line("d", "known", 5, { cache_read_tokens: 50 }),
      line("e", "known", 3000),
    ];
    const store = await openUsageStore({ path: ":memory:" });
    try {
      const reader = await readUsageLines(lines, { format: "canonical" });
      const progress: number[] = [];
      const summary = await ingestUsage(reader, store, {
        owner: "acct-1",
        corpus: "default",
        price,
        batchSize: 2,
        onProgress: (p) => progress.push(p.records),
      });
      expect(summary).toMatchObject({
        format: "canonical",
        records_read: 4,
        ingested: 4,
        duplicates: 0,
        rejected: 2,
        unpriced_records: 1,
        unpriced_models: ["mystery-model"],
        cost_mismatches: 1,
      });
      expect(summary.rejections.map((r) => r.line)).toEqual([2, 5]);
      expect(summary.rejections[1]?.reason).toMatch(/exceeds input_tokens/);
      expect(progress.length).toBeGreaterThanOrEqual(2);
      const totals = await store.totals({ owner: "acct-1" });
      expect(totals.records).toBe(4);
      expect(totals.cost_usd).toBeCloseTo(6, 9); // 1 + 2 + 3; the unpriced record is not counted as zero
      expect(totals.unpriced_calls).toBe(1);

      const again = await ingestUsage(await readUsageLines(lines, { format: "canonical" }), store, { owner: "acct-1", corpus: "default", price });
      expect(again).toMatchObject({ ingested: 0, duplicates: 4, rejected: 2 });
      expect(await store.count({ owner: "acct-1" })).toBe(4);
      expect(await store.count({ owner: "acct-2" })).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("keeps only the first rejections but counts them all", async () => {
    const lines = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? line(`ok-${i}`, "known", 1) : `bad line ${i}`));
    const store = await openUsageStore({ path: ":memory:" });
    try {
      const summary = await ingestUsage(await readUsageLines(lines, { format: "canonical" }), store, {
        owner: "o",
        corpus: "c",
        price,
        keepRejections: 5,
      });
      expect(summary.rejected).toBe(20);
      expect(summary.rejections).toHaveLength(5);
      expect(summary.ingested).toBe(10);
    } finally {
      await store.close();
    }
  });

  /** A quota of `remaining` records that gives back the duplicates of each write, as the server's does. */
  function quotaOf(remaining: number) {
    const asked: number[] = [];
    return {
      asked,
      beforeWrite: async (count: number) => {
        asked.push(count);
        const allowed = Math.min(count, remaining);
        remaining -= allowed;
        return { allowed, stop: () => new Error(`quota spent (${remaining} left)`) };
      },
      afterWrite: async (write: { admitted: number; inserted: number }) => {
        remaining += write.admitted - write.inserted;
      },
    };
  }

  it("writes only what each admission allows, then stops with the caller's error", async () => {
    const lines = Array.from({ length: 10 }, (_, i) => line(`r${i}`, "known", 1));
    const store = await openUsageStore({ path: ":memory:" });
    try {
      const quota = quotaOf(3);
      const run = ingestUsage(await readUsageLines(lines, { format: "canonical" }), store, { owner: "o", corpus: "c", price, batchSize: 4, ...quota });
      await expect(run).rejects.toThrow("quota spent (0 left)");
      expect(await store.count({ owner: "o" })).toBe(3);
      expect(quota.asked).toEqual([4, 1]); // the rest of the first batch is asked for once more, then refused
    } finally {
      await store.close();
    }
  });

  it("admits the appended tail of a re-uploaded log within a nearly spent quota: duplicates are given back", async () => {
    const head = Array.from({ length: 5 }, (_, i) => line(`r${i}`, "known", 1));
    const grown = [...head, line("r5", "known", 1), line("r6", "known", 1)];
    const store = await openUsageStore({ path: ":memory:" });
    try {
      await ingestUsage(await readUsageLines(head, { format: "canonical" }), store, { owner: "o", corpus: "c", price });
      const summary = await ingestUsage(await readUsageLines(grown, { format: "canonical" }), store, { owner: "o", corpus: "c", price, batchSize: 5, ...quotaOf(2) });
      expect(summary).toMatchObject({ ingested: 2, duplicates: 5 });
      expect(await store.count({ owner: "o" })).toBe(7);
    } finally {
      await store.close();
    }
  });
});
