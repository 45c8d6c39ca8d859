import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvVar } from "../protocol/names.ts";
import { openUsageStore } from "./open-usage-store.ts";
import { readUsageLines } from "./read-usage.ts";
import { ingestUsage } from "./ingest.ts";
import type { PricedUsageRecord, UsageRecord } from "./record.ts";
import type { UsageStore } from "./store.ts";

// Corpus management on both engines: describe, rename, export (and export read back through ingest), owner-scoped.

const databaseUrl = process.env[EnvVar.DATABASE_URL];
const schema = `apex_corpus_${randomBytes(6).toString("hex")}`;

const ALICE_RECORDS: PricedUsageRecord[] = [
  { id: "r1", timestamp: "2025-04-01T10:00:00.000Z", model: "gpt-4o", provider: "openai", input_tokens: 1000, output_tokens: 100, cache_read_tokens: 200, status: "success", num_requests: 1, feature: "chat", tags: ["x", "y"], stream: true, temperature: 0.5, duration_ms: 812.5, computed_cost_usd: 0.5, cost_mismatch: false },
  { id: "r2", timestamp: "2025-04-02T10:00:00.000Z", model: "gpt-4o-mini", input_tokens: 50, output_tokens: 5, status: "error", error_type: "timeout", num_requests: 3, feature: "search", computed_cost_usd: 0.25, cost_mismatch: false },
  { id: "r3", timestamp: "2025-04-03T10:00:00.000Z", model: "mystery", input_tokens: 10, output_tokens: 1, status: "success", num_requests: 1, cost_usd: 0.125, computed_cost_usd: null, cost_mismatch: false },
];

const ENGINES = [
  { name: "duckdb", skip: false, open: () => openUsageStore({ path: ":memory:" }) },
  { name: "postgres", skip: !databaseUrl, open: () => openUsageStore({ databaseUrl, schema }) },
];

async function collect(records: AsyncIterable<UsageRecord>): Promise<UsageRecord[]> {
  const all: UsageRecord[] = [];
  for await (const record of records) all.push(record);
  return all;
}

afterAll(async () => {
  if (!databaseUrl) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

for (const engine of ENGINES) {
  describe.skipIf(engine.skip)(`corpus operations on ${engine.name}`, () => {
    let store: UsageStore;
    beforeAll(async () => {
      store = await engine.open();
      await store.insert("alice", "prod", ALICE_RECORDS);
      await store.insert("bob", "prod", [{ ...ALICE_RECORDS[0]!, id: "b1", computed_cost_usd: 99 }]);
    });
    afterAll(() => store.close());

    it("describes a corpus: totals, period, models and features, most expensive first", async () => {
      expect(await store.describeCorpus("alice", "prod")).toEqual({
        corpus: "prod",
        records: 3,
        calls: 5,
        cost_usd: 0.875,
        unpriced_calls: 0,
        input_tokens: 1060,
        output_tokens: 106,
        period: { from: "2025-04-01T10:00:00.000Z", to: "2025-04-03T10:00:00.000Z", days: 2 },
        models: [
          { name: "gpt-4o", records: 1, calls: 1, cost_usd: 0.5 },
          { name: "gpt-4o-mini", records: 1, calls: 3, cost_usd: 0.25 },
          { name: "mystery", records: 1, calls: 1, cost_usd: 0.125 },
        ],
        features: [
          { name: "chat", records: 1, calls: 1, cost_usd: 0.5 },
          { name: "search", records: 1, calls: 3, cost_usd: 0.25 },
          { name: null, records: 1, calls: 1, cost_usd: 0.125 },
        ],
      });
      expect(await store.describeCorpus("alice", "missing")).toBeNull();
      expect(await store.describeCorpus("mallory", "prod")).toBeNull();
    });

    it("exports the canonical records of one owner's corpus, read back identically by ingest", async () => {
      const exported = await collect(store.exportCorpus("alice", "prod"));
      expect(exported.map((r) => r.id)).toEqual(["r1", "r2", "r3"]);
      const first: Record<string, unknown> = { ...ALICE_RECORDS[0]! };
      delete first.computed_cost_usd;
      delete first.cost_mismatch;
      expect(exported[0]).toEqual(first);
      expect(exported[2]).toEqual({ id: "r3", timestamp: "2025-04-03T10:00:00.000Z", model: "mystery", input_tokens: 10, output_tokens: 1, status: "success", num_requests: 1, cost_usd: 0.125 });
      expect(await collect(store.exportCorpus("mallory", "prod"))).toEqual([]);

      const reader = await readUsageLines(exported.map((r) => JSON.stringify(r)), { format: "canonical" }, "the export");
      const byId = new Map(ALICE_RECORDS.map((r) => [r.id, r]));
      const summary = await ingestUsage(reader, store, {
        owner: "carol",
        corpus: "copy",
        price: (r) => ({ computed_cost_usd: byId.get(r.id)?.computed_cost_usd ?? null, cost_mismatch: false }),
      });
      expect([summary.ingested, summary.rejected]).toEqual([3, 0]);
      const copy = await store.describeCorpus("carol", "copy");
      const original = await store.describeCorpus("alice", "prod");
      expect({ ...copy, corpus: "prod" }).toEqual(original);
    });

    it("renames a corpus of one owner only", async () => {
      await store.insert("dave", "old", [{ ...ALICE_RECORDS[1]!, id: "d1" }]);
      await store.insert("erin", "old", [{ ...ALICE_RECORDS[1]!, id: "e1" }]);
      expect(await store.renameCorpus("dave", "old", "new")).toBe(1);
      expect((await store.listCorpora("dave")).map((c) => c.corpus)).toEqual(["new"]);
      expect((await store.listCorpora("erin")).map((c) => c.corpus)).toEqual(["old"]);
      expect(await store.renameCorpus("dave", "old", "other")).toBe(0);
    });
  });
}
