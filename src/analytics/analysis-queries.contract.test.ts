import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openUsageStore } from "./open-usage-store.ts";
import type { PricedUsageRecord } from "./record.ts";
import type { UsageStore } from "./store.ts";

// The queries the savings analyses read (featureModels, tierUsage, prefixCaching, sessionContext, failedAttempts), on
// both engines, against answers computed by hand from the records below. Each query has its own owner's rows.

const T0 = Date.parse("2025-03-01T10:00:00Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function rec(fields: Partial<PricedUsageRecord> & Pick<PricedUsageRecord, "id" | "timestamp" | "model">): PricedUsageRecord {
  return {
    input_tokens: 0, output_tokens: 0, status: "success", num_requests: 1, computed_cost_usd: null, cost_mismatch: false,
    ...fields,
  };
}

const cls = { model: "gpt-4o", provider: "openai", feature: "cls", service_tier: "standard" as const, stream: false };
/** featureModels / tierUsage: three single calls (outputs 10, 30, 50) and a bucket of 4 calls. */
const FM: PricedUsageRecord[] = [
  rec({ ...cls, id: "k1", timestamp: at(0), user_id: "u1", input_tokens: 100, output_tokens: 10, finish_reason: "stop", computed_cost_usd: 0.01 }),
  rec({ ...cls, id: "k2", timestamp: at(60), user_id: "u1", input_tokens: 200, output_tokens: 30, finish_reason: "stop", computed_cost_usd: 0.02 }),
  rec({ ...cls, id: "k3", timestamp: at(3600), input_tokens: 300, output_tokens: 50, cache_write_tokens: 100, finish_reason: "tool_calls", computed_cost_usd: 0.03 }),
  rec({ ...cls, id: "k4", timestamp: at(120), user_id: "u1", num_requests: 4, input_tokens: 4000, output_tokens: 400, cache_read_tokens: 1000, computed_cost_usd: 0.4 }),
];

const search = { model: "claude-x", provider: "anthropic", feature: "search", prefix_hash: "PX", prefix_tokens: 2000, input_tokens: 3000 };
/** prefixCaching: PX calls at 0 (cold), 100 (write), 200 (warm), 600 (cold), 700 (read), 750 (warm); PS is too short. */
const PC: PricedUsageRecord[] = [
  rec({ ...search, id: "s1", timestamp: at(0) }),
  rec({ ...search, id: "s2", timestamp: at(100), cache_write_tokens: 2000 }),
  rec({ ...search, id: "s3", timestamp: at(200) }),
  rec({ ...search, id: "s4", timestamp: at(600) }),
  rec({ ...search, id: "s5", timestamp: at(700), cache_read_tokens: 2000 }),
  rec({ ...search, id: "s6", timestamp: at(750) }),
  rec({ ...search, id: "t1", timestamp: at(0), prefix_hash: "PS", prefix_tokens: 500 }),
  rec({ ...search, id: "t2", timestamp: at(10), prefix_hash: "PS", prefix_tokens: 500 }),
];

const chat = { model: "gpt-4o", provider: "openai", feature: "chat" };
/** sessionContext: A grows every turn (re-sending all history once), B shrinks and is unpriced, C has a single turn. */
const SC: PricedUsageRecord[] = [
  rec({ ...chat, id: "A1", session_id: "A", timestamp: at(0), input_tokens: 1000, output_tokens: 400, computed_cost_usd: 0.1 }),
  rec({ ...chat, id: "A2", session_id: "A", timestamp: at(60), input_tokens: 1500, output_tokens: 1500, cache_read_tokens: 1024, computed_cost_usd: 0.2 }),
  rec({ ...chat, id: "A3", session_id: "A", timestamp: at(120), input_tokens: 2500, cache_read_tokens: 1408, computed_cost_usd: 0.3 }),
  rec({ ...chat, id: "B1", session_id: "B", timestamp: at(0), input_tokens: 800 }),
  rec({ ...chat, id: "B2", session_id: "B", timestamp: at(30), input_tokens: 700 }),
  rec({ ...chat, id: "C1", session_id: "C", timestamp: at(0), input_tokens: 5000, computed_cost_usd: 1 }),
];

const agent = { model: "gpt-4.1", provider: "openai", feature: "agent" };
/** failedAttempts: f1 billed and re-sent after 40 s; f3 billed, re-sent after 100 s; f5 billed nothing; f6 unpriced. */
const FA: PricedUsageRecord[] = [
  rec({ ...agent, id: "f1", timestamp: at(0), status: "error", error_type: "timeout", input_tokens: 1000, output_tokens: 50, request_hash: "H1", computed_cost_usd: 0.03 }),
  rec({ ...agent, id: "f2", timestamp: at(40), input_tokens: 1000, output_tokens: 80, request_hash: "H1", computed_cost_usd: 0.04 }),
  rec({ ...agent, id: "f3", timestamp: at(100), status: "error", error_type: "overloaded", input_tokens: 500, request_hash: "H2", computed_cost_usd: 0.01 }),
  rec({ ...agent, id: "f4", timestamp: at(200), input_tokens: 500, output_tokens: 20, request_hash: "H2", computed_cost_usd: 0.01 }),
  rec({ ...agent, id: "f5", timestamp: at(300), status: "error", error_type: "timeout", request_hash: "H3", computed_cost_usd: 0 }),
  rec({ ...agent, id: "f6", timestamp: at(400), status: "error", error_type: "timeout", input_tokens: 200 }),
];

const databaseUrl = process.env.DATABASE_URL;
const schema = `apex_analysis_${randomBytes(6).toString("hex")}`;

afterAll(async () => {
  if (!databaseUrl) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

const engines = [
  { name: "duckdb", skip: false, open: () => openUsageStore({ path: ":memory:" }) },
  { name: "postgres", skip: !databaseUrl, open: () => openUsageStore({ databaseUrl, schema }) },
];

for (const engine of engines) {
  describe.skipIf(engine.skip)(`analysis queries on ${engine.name}${engine.skip ? " (set DATABASE_URL to run)" : ""}`, () => {
    let store: UsageStore;
    beforeAll(async () => {
      store = await engine.open();
      await store.insert("fm", "c", FM);
      await store.insert("pc", "c", PC);
      await store.insert("sc", "c", SC);
      await store.insert("fa", "c", FA);
    });
    afterAll(async () => {
      await store?.close();
    });

    it("featureModels: sums over every call, output percentiles over single calls, tool calls counted", async () => {
      expect(await store.featureModels({ owner: "fm" })).toEqual([
        {
          feature: "cls", model: "gpt-4o", provider: "openai", records: 4, calls: 7, cost_usd: 0.46, unpriced_calls: 0,
          input_tokens: 4600, output_tokens: 490, cache_read_tokens: 1000, cache_write_tokens: 100,
          // quantile_cont over 10, 30, 50: p50 30, p90 30 + 0.8 x 20, p99 30 + 0.98 x 20.
          output_p50: 30, output_p90: 46, output_p99: 49.6, tool_calls: 1, example_ids: ["k1", "k2", "k4", "k3"],
        },
      ]);
      expect(await store.featureModels({ owner: "nobody" })).toEqual([]);
    });

    it("tierUsage: groups by tier, streaming, end user and UTC hour", async () => {
      const common = { feature: "cls", model: "gpt-4o", provider: "openai", service_tier: "standard", stream: false, unpriced_calls: 0 };
      expect(await store.tierUsage({ owner: "fm" })).toEqual([
        { ...common, has_user: false, hour: "11", calls: 1, cost_usd: 0.03, input_tokens: 300, output_tokens: 50, cache_read_tokens: 0, cache_write_tokens: 100, example_ids: ["k3"] },
        { ...common, has_user: true, hour: "10", calls: 6, cost_usd: 0.43, input_tokens: 4300, output_tokens: 440, cache_read_tokens: 1000, cache_write_tokens: 0, example_ids: ["k1", "k2", "k4"] },
      ]);
    });

    it("prefixCaching: uncached calls split by a warm cache (any call of the prefix within the window)", async () => {
      expect(await store.prefixCaching({ owner: "pc" }, { minPrefixTokens: 1024 })).toEqual([
        {
          feature: "search", prefix_hash: "PX", model: "claude-x", provider: "anthropic", prefix_tokens: 2000, calls: 6,
          uncached_calls: 4, uncached_hits: 2, uncached_hit_prefix_tokens: 4000, uncached_miss_prefix_tokens: 4000,
          example_ids: ["s3", "s6"],
        },
      ]);
      // A 60 s window: s6 (50 s after s5) stays warm, s3 (100 s after s2) goes cold; PS counts without a minimum.
      const narrow = await store.prefixCaching({ owner: "pc" }, { windowSeconds: 60 });
      expect(narrow.map((r) => [r.prefix_hash, r.uncached_hits, r.uncached_miss_prefix_tokens])).toEqual([
        ["PX", 1, 6000],
        ["PS", 1, 500],
      ]);
    });

    it("sessionContext: later turns against the first, growing turns counted", async () => {
      expect(await store.sessionContext({ owner: "sc" })).toEqual([
        {
          session_id: "A", feature: "chat", model: "gpt-4o", provider: "openai", turns: 3, first_input_tokens: 1000,
          // A2 (1500) holds A1's 1000 + 400; A3 (2500) is less than A2's 1500 + 1500.
          growing_turns: 2, history_turns: 1, last_input_tokens: 2500, later_input_tokens: 4000, later_cache_read_tokens: 2432,
          later_cache_write_tokens: 0, later_cost_usd: 0.5, example_ids: ["A2", "A3"],
        },
        {
          session_id: "B", feature: "chat", model: "gpt-4o", provider: "openai", turns: 2, first_input_tokens: 800,
          growing_turns: 0, history_turns: 0, last_input_tokens: 700, later_input_tokens: 700, later_cache_read_tokens: 0,
          later_cache_write_tokens: 0, later_cost_usd: null, example_ids: ["B2"],
        },
      ]);
      expect((await store.sessionContext({ owner: "sc" }, { minTurns: 3 })).map((s) => s.session_id)).toEqual(["A"]);
    });

    it("failedAttempts: billed failures per feature and model, and those re-sent within the window", async () => {
      const row = {
        feature: "agent", model: "gpt-4.1", provider: "openai", failed_calls: 3, cost_usd: 0.04, unpriced_calls: 1,
        input_tokens: 1700, output_tokens: 50, retried_calls: 1, retried_cost_usd: 0.03, error_type: "overloaded",
        example_ids: ["f1", "f3", "f6"],
      };
      expect(await store.failedAttempts({ owner: "fa" })).toEqual([row]);
      expect(await store.failedAttempts({ owner: "fa" }, { windowSeconds: 120 })).toEqual([
        { ...row, retried_calls: 2, retried_cost_usd: 0.04 },
      ]);
    });

    it("longInputCalls: single calls above the size, per feature and model", async () => {
      // Above 2500 only C1 (5000); above 1499 also A2 (1500) and A3 (2500), ordered oldest first by time.
      expect(await store.longInputCalls({ owner: "sc" }, 2500)).toEqual([
        {
          feature: "chat", model: "gpt-4o", provider: "openai", calls: 1, input_tokens: 5000, output_tokens: 0,
          cache_read_tokens: 0, cache_write_tokens: 0, cost_usd: 1, unpriced_calls: 0, example_ids: ["C1"],
        },
      ]);
      const wider = await store.longInputCalls({ owner: "sc" }, 1499);
      expect(wider.map((r) => [r.calls, r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cost_usd, r.example_ids])).toEqual([
        [3, 9000, 1500, 2432, 1.5, ["C1", "A2", "A3"]],
      ]);
      // A bucket (k4, 4000 input over 4 calls) is no single call.
      expect(await store.longInputCalls({ owner: "fm" }, 200)).toMatchObject([{ calls: 1, example_ids: ["k3"] }]);
    });

    it("never mixes owners", async () => {
      expect(await store.failedAttempts({ owner: "sc" })).toEqual([]);
      expect(await store.sessionContext({ owner: "fa" })).toEqual([]);
      expect(await store.prefixCaching({ owner: "fm" })).toEqual([]);
    });
  });
}
