import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { PricedUsageRecord } from "./record.ts";
import { openUsageStore } from "./open-usage-store.ts";
import type { Scope, UsageStore } from "./store.ts";

// One suite, two engines: every answer below was computed by hand from the records of this file (see the comments),
// and both DuckDB and PostgreSQL must give exactly these answers (costs rounded to 1e-9 by the store).

const T0 = Date.parse("2025-03-01T10:00:00Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function rec(fields: Partial<PricedUsageRecord> & Pick<PricedUsageRecord, "id" | "timestamp" | "model">): PricedUsageRecord {
  return {
    input_tokens: 0, output_tokens: 0, status: "success", num_requests: 1, computed_cost_usd: null, cost_mismatch: false,
    ...fields,
  };
}

const chat = { model: "gpt-4o", provider: "openai", feature: "chat", user_id: "u1", session_id: "S1", prefix_hash: "P1", prefix_tokens: 1500 };
const extract = { model: "claude-x", provider: "anthropic", feature: "extract" };
const summarize = { model: "gpt-4o-mini", provider: "openai", feature: "summarize", temperature: 0 };

/** alice / prod: 19 records, 28 calls (e3 is a bucket of 10), effective cost 3.8 USD, 2 unpriced calls (mystery-1). */
const ALICE_PROD: PricedUsageRecord[] = [
  // prefix P1 on gpt-4o at 0, 60, 400, 500 s: gaps 60 and 100 are hits within 300 s, 340 is not.
  rec({ ...chat, id: "a1", timestamp: at(0), input_tokens: 2000, output_tokens: 100, request_hash: "R1", temperature: 0, duration_ms: 1000, computed_cost_usd: 0.25 }),
  rec({ ...chat, id: "a2", timestamp: at(60), input_tokens: 2000, output_tokens: 100, cache_read_tokens: 1024, request_hash: "R1", temperature: 0, duration_ms: 2000, computed_cost_usd: 0.25 }),
  rec({ ...chat, id: "a3", timestamp: at(400), input_tokens: 3000, output_tokens: 200, request_hash: "R2", duration_ms: 3000, computed_cost_usd: 0.5 }),
  rec({ ...chat, id: "a4", timestamp: at(500), input_tokens: 4000, output_tokens: 300, request_hash: "R2", temperature: 0.7, duration_ms: 4000, computed_cost_usd: 1.0 }),
  // Same prefix on another model, between a1 and a2: must not break gpt-4o's chain nor form a group with hits.
  rec({ ...chat, id: "b1", timestamp: at(30), model: "claude-x", provider: "anthropic", user_id: "u2", session_id: undefined, input_tokens: 1600, output_tokens: 50, computed_cost_usd: 0.125 }),
  // Errors: c1 (0 tokens) re-sent 30 s later; c3 billed, re-sent after 100 s; c5 billed, re-sent after 30 s.
  rec({ ...extract, id: "c1", timestamp: at(1000), status: "error", error_type: "overloaded", request_hash: "R3", computed_cost_usd: 0 }),
  rec({ ...extract, id: "c2", timestamp: at(1030), input_tokens: 500, output_tokens: 80, request_hash: "R3", computed_cost_usd: 0.1 }),
  rec({ ...extract, id: "c3", timestamp: at(1100), status: "error", error_type: "timeout", input_tokens: 800, output_tokens: 20, request_hash: "R4", computed_cost_usd: 0.2 }),
  rec({ ...extract, id: "c4", timestamp: at(1200), input_tokens: 800, output_tokens: 90, request_hash: "R4", computed_cost_usd: 0.2 }),
  rec({ ...extract, id: "c5", timestamp: at(1210), status: "error", error_type: "timeout", input_tokens: 700, request_hash: "R5", computed_cost_usd: 0.1 }),
  rec({ ...extract, id: "c6", timestamp: at(1240), input_tokens: 700, output_tokens: 60, request_hash: "R5", computed_cost_usd: 0.1 }),
  // Truncation: d1 cut at 256 and re-sent (d2); d3 repeats the complete d2 100 s later; d4 is cut and has no hash.
  rec({ ...summarize, id: "d1", timestamp: at(2000), session_id: "S3", finish_reason: "length", max_tokens: 256, input_tokens: 1000, output_tokens: 256, request_hash: "R6", computed_cost_usd: 0.0625 }),
  rec({ ...summarize, id: "d2", timestamp: at(2100), session_id: "S3", finish_reason: "stop", max_tokens: 1024, input_tokens: 1000, output_tokens: 700, request_hash: "R6", computed_cost_usd: 0.125 }),
  rec({ ...summarize, id: "d3", timestamp: at(2200), session_id: "S3", finish_reason: "stop", max_tokens: 1024, input_tokens: 1000, output_tokens: 690, request_hash: "R6", computed_cost_usd: 0.125 }),
  rec({ ...summarize, id: "d4", timestamp: at(2300), finish_reason: "length", max_tokens: 256, input_tokens: 900, output_tokens: 256, computed_cost_usd: 0.0625 }),
  // Day 2: an unpriced model, a reported-cost bucket (12:00+02:00 = 10:00Z) and a call on day 3 in UTC (04:30Z).
  rec({ id: "e1", timestamp: "2025-03-02T09:00:00Z", model: "mystery-1", user_id: "u3", input_tokens: 100, output_tokens: 10 }),
  rec({ id: "e2", timestamp: "2025-03-02T09:10:00Z", model: "mystery-1", input_tokens: 100, output_tokens: 10 }),
  rec({ id: "e3", timestamp: "2025-03-02T12:00:00+02:00", model: "reported-1", feature: "batch-jobs", num_requests: 10, input_tokens: 50_000, output_tokens: 5000, cost_usd: 0.5 }),
  rec({ ...chat, id: "e4", timestamp: "2025-03-02T23:30:00-05:00", session_id: "S2", prefix_hash: undefined, prefix_tokens: undefined, input_tokens: 1000, output_tokens: 50, cache_write_tokens: 100, reasoning_tokens: 20, cost_usd: 0.12, computed_cost_usd: 0.1, cost_mismatch: true, stream: true, tags: ["a", "b"] }),
];

/** bob / prod reuses alice's ids and hashes with huge numbers: any leak between owners shows in alice's answers. */
const BOB_PROD: PricedUsageRecord[] = [
  rec({ ...chat, id: "a1", timestamp: at(10), input_tokens: 999_999, output_tokens: 1, request_hash: "R1", temperature: 0, computed_cost_usd: 100 }),
  rec({ ...chat, id: "a2", timestamp: at(20), input_tokens: 999_999, output_tokens: 1, request_hash: "R1", temperature: 0, computed_cost_usd: 100 }),
];

/** alice / staging: "a1" is already alice's (ids are unique per owner across corpora), "s1" is new. */
const ALICE_STAGING: PricedUsageRecord[] = [
  rec({ ...chat, id: "a1", timestamp: "2025-03-01T11:00:00Z", input_tokens: 5, computed_cost_usd: 7 }),
  rec({ ...chat, id: "s1", timestamp: "2025-03-01T11:00:00Z", input_tokens: 10, output_tokens: 1, computed_cost_usd: 0.001 }),
];

const alice: Scope = { owner: "alice", corpus: "prod" };
const bob: Scope = { owner: "bob" };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => new Error("expected a rejection"), (error: unknown) => error);
}

const databaseUrl = process.env.DATABASE_URL;
const schema = `apex_test_${randomBytes(6).toString("hex")}`;
const duckdbDir = mkdtempSync(join(tmpdir(), "apex-contract-"));
const duckdbPath = join(duckdbDir, "usage.duckdb");

/** The stored columns as the engine itself reads them back, times as epoch microseconds. */
type RawReader = (owner: string) => Promise<Record<string, unknown>[]>;
const RAW_COLUMNS = "tags, stream, cost_mismatch, computed_cost_usd, cost_usd, temperature, service_tier, session_id";

const readDuckdb: RawReader = async (owner) => {
  // The instance cache hands back the database the store has open.
  const instance = await DuckDBInstance.fromCache(duckdbPath);
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(
    `SELECT id, epoch_us(ts) AS us, num_requests, ${RAW_COLUMNS} FROM usage_records WHERE owner = $1 ORDER BY id`,
    [owner],
  );
  connection.closeSync();
  instance.closeSync();
  return reader.getRowObjectsJS();
};

const readPostgres: RawReader = async (owner) => {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query(
    `SELECT id, CAST(extract(epoch FROM ts) * 1000000 AS BIGINT) AS us, num_requests, ${RAW_COLUMNS}
     FROM ${schema}.usage_records WHERE owner = $1 ORDER BY id`,
    [owner],
  );
  await client.end();
  return rows;
};

const engines = [
  { name: "duckdb", skip: false, open: () => openUsageStore({ path: duckdbPath }), readRaw: readDuckdb },
  { name: "postgres", skip: !databaseUrl, open: () => openUsageStore({ databaseUrl, schema }), readRaw: readPostgres },
];

afterAll(async () => {
  rmSync(duckdbDir, { recursive: true, force: true });
  if (!databaseUrl) return;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

it("asks for a database location when none is given", async () => {
  const error = await rejection(openUsageStore({}));
  expect(isApexError(error) && error.code).toBe(ErrorCode.INVALID_CONFIG);
});

for (const engine of engines) {
  describe.skipIf(engine.skip)(`usage store contract on ${engine.name}${engine.skip ? " (set DATABASE_URL to run)" : ""}`, () => {
    let store: UsageStore;

    beforeAll(async () => {
      store = await engine.open();
      expect(await store.insert("alice", "prod", ALICE_PROD)).toEqual({ inserted: 19, duplicates: 0 });
      expect(await store.insert("bob", "prod", BOB_PROD)).toEqual({ inserted: 2, duplicates: 0 });
      expect(await store.insert("alice", "staging", ALICE_STAGING)).toEqual({ inserted: 1, duplicates: 1 });
    });
    afterAll(async () => {
      await store?.close();
    });

    it("is idempotent on (owner, id): re-ingesting changes nothing", async () => {
      expect(await store.insert("alice", "prod", ALICE_PROD)).toEqual({ inserted: 0, duplicates: 19 });
      expect(await store.insert("bob", "prod", BOB_PROD)).toEqual({ inserted: 0, duplicates: 2 });
      expect(await store.count(alice)).toBe(19);
      expect(await store.count({ owner: "alice" })).toBe(20);
      expect(await store.count(bob)).toBe(2);
    });

    it("totals: cost, calls, tokens and period", async () => {
      expect(await store.totals(alice)).toEqual({
        records: 19, calls: 28, cost_usd: 3.8, unpriced_calls: 2, input_tokens: 71_200, output_tokens: 7972,
        cache_read_tokens: 1024, cache_write_tokens: 100, reasoning_tokens: 20,
        // 2025-03-01T10:00Z to 2025-03-03T04:30Z = 42.5 h
        period: { from: "2025-03-01T10:00:00.000Z", to: "2025-03-03T04:30:00.000Z", days: 1.770833333 },
      });
      expect(await store.totals({ owner: "nobody" })).toEqual({
        records: 0, calls: 0, cost_usd: null, unpriced_calls: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0,
        cache_write_tokens: 0, reasoning_tokens: 0, period: { from: null, to: null, days: 0 },
      });
    });

    it("names the unpriced models instead of pricing them at zero", async () => {
      expect(await store.unpricedModels(alice)).toEqual([{ model: "mystery-1", calls: 2, records: 2 }]);
      expect(await store.unpricedModels(bob)).toEqual([]);
    });

    it("breaks down by model, most expensive first, unpriced last", async () => {
      const rows = await store.breakdown(alice, "model");
      expect(rows).toEqual([
        { key: "gpt-4o", records: 5, calls: 5, cost_usd: 2.1, unpriced_calls: 0, input_tokens: 12_000, output_tokens: 750, cache_read_tokens: 1024 },
        { key: "claude-x", records: 7, calls: 7, cost_usd: 0.825, unpriced_calls: 0, input_tokens: 5100, output_tokens: 300, cache_read_tokens: 0 },
        { key: "reported-1", records: 1, calls: 10, cost_usd: 0.5, unpriced_calls: 0, input_tokens: 50_000, output_tokens: 5000, cache_read_tokens: 0 },
        { key: "gpt-4o-mini", records: 4, calls: 4, cost_usd: 0.375, unpriced_calls: 0, input_tokens: 3900, output_tokens: 1902, cache_read_tokens: 0 },
        { key: "mystery-1", records: 2, calls: 2, cost_usd: null, unpriced_calls: 2, input_tokens: 200, output_tokens: 20, cache_read_tokens: 0 },
      ]);
    });

    it("breaks down by feature and by user, rows without the attribute under a null key", async () => {
      const features = await store.breakdown(alice, "feature");
      expect(features.map((r) => [r.key, r.records, r.calls, r.cost_usd, r.unpriced_calls])).toEqual([
        ["chat", 6, 6, 2.225, 0],
        ["extract", 6, 6, 0.7, 0],
        ["batch-jobs", 1, 10, 0.5, 0],
        ["summarize", 4, 4, 0.375, 0],
        [null, 2, 2, null, 2],
      ]);
      const users = await store.breakdown(alice, "user_id");
      expect(users.map((r) => [r.key, r.records, r.calls, r.cost_usd, r.unpriced_calls])).toEqual([
        ["u1", 5, 5, 2.1, 0],
        [null, 12, 21, 1.575, 1],
        ["u2", 1, 1, 0.125, 0],
        ["u3", 1, 1, null, 1],
      ]);
    });

    it("breaks down by UTC day and hour, in time order, converting offsets", async () => {
      const days = await store.breakdown(alice, "day");
      expect(days.map((r) => [r.key, r.records, r.calls, r.cost_usd, r.input_tokens, r.output_tokens])).toEqual([
        ["2025-03-01", 15, 15, 3.2, 20_000, 2902],
        ["2025-03-02", 3, 12, 0.5, 50_200, 5020],
        ["2025-03-03", 1, 1, 0.1, 1000, 50],
      ]);
      const hours = await store.breakdown(alice, "hour_of_day");
      // e4 is 04:30Z, e1 and e2 09:xxZ, e3 (12:00+02:00) and every call of day 1 10:xxZ
      expect(hours.map((r) => [r.key, r.records, r.calls])).toEqual([["04", 1, 1], ["09", 2, 2], ["10", 16, 25]]);
    });

    it("computes p50/p90/p99 of tokens and duration per model over single calls", async () => {
      const rows = await store.percentiles(alice, "model");
      // reported-1 is only a bucket of 10 calls: no per-call sizes, so no row.
      expect(rows.map((r) => [r.key, r.calls])).toEqual([["claude-x", 7], ["gpt-4o", 5], ["gpt-4o-mini", 4], ["mystery-1", 2]]);
      const close = (actual: { p50: number; p90: number; p99: number } | null, expected: [number, number, number]) => {
        expect(actual).not.toBeNull();
        expect(actual?.p50).toBeCloseTo(expected[0], 6);
        expect(actual?.p90).toBeCloseTo(expected[1], 6);
        expect(actual?.p99).toBeCloseTo(expected[2], 6);
      };
      const [claude, gpt4o, mini, mystery] = rows;
      // claude-x input sorted [0,500,700,700,800,800,1600]: positions 3, 5.4, 5.94
      close(claude?.input_tokens ?? null, [700, 1120, 1552]);
      close(claude?.output_tokens ?? null, [50, 84, 89.4]);
      expect(claude?.duration_ms).toBeNull();
      // gpt-4o input [1000,2000,2000,3000,4000]: positions 2, 3.6, 3.96; durations [1000..4000]: 1.5, 2.7, 2.97
      close(gpt4o?.input_tokens ?? null, [2000, 3600, 3960]);
      close(gpt4o?.output_tokens ?? null, [100, 260, 296]);
      close(gpt4o?.duration_ms ?? null, [2500, 3700, 3970]);
      close(mini?.output_tokens ?? null, [473, 697, 699.7]);
      close(mini?.input_tokens ?? null, [1000, 1000, 1000]);
      close(mystery?.input_tokens ?? null, [100, 100, 100]);

      const chatRow = (await store.percentiles(alice, "feature")).find((r) => r.key === "chat");
      // chat input [1000,1600,2000,2000,3000,4000]: positions 2.5, 4.5, 4.95
      close(chatRow?.input_tokens ?? null, [2000, 3500, 3950]);
    });

    it("finds prefix reuse within the cache window, per prefix and model", async () => {
      expect(await store.prefixReuse(alice)).toEqual([
        {
          prefix_hash: "P1", model: "gpt-4o", provider: "openai", calls: 4, prefix_tokens: 1500, hits: 2,
          hit_prefix_tokens: 3000, hit_cache_read_tokens: 1024, example_ids: ["a2", "a4"],
        },
      ]);
      expect((await store.prefixReuse(alice, { windowSeconds: 400 }))[0]?.hits).toBe(3);
      expect(await store.prefixReuse(alice, { windowSeconds: 30 })).toEqual([]);
      expect(await store.prefixReuse(alice, { minPrefixTokens: 2000 })).toEqual([]);
      expect(await store.prefixReuse(alice, { minPrefixTokens: 1499.5 })).toHaveLength(1);
      expect(await store.prefixReuse(alice, { minPrefixTokens: 1500.5 })).toEqual([]);
    });

    it("finds repeated identical requests after a complete answer, never after a failed or truncated one", async () => {
      expect(await store.duplicateRequests(alice)).toEqual([
        {
          request_hash: "R1", model: "gpt-4o", feature: "chat", calls: 2, repeats: 1, repeat_cost_usd: 0.25,
          unpriced_repeats: 0, mean_cost_usd: 0.25, example_ids: ["a2"],
        },
        {
          // d1 was truncated (not cacheable), d3 repeats the complete d2; mean = 0.3125 / 3
          request_hash: "R6", model: "gpt-4o-mini", feature: "summarize", calls: 3, repeats: 1, repeat_cost_usd: 0.125,
          unpriced_repeats: 0, mean_cost_usd: 0.104166667, example_ids: ["d3"],
        },
      ]);
      expect(await store.duplicateRequests(alice, { windowSeconds: 50 })).toEqual([]);
    });

    it("finds failed calls that still billed tokens", async () => {
      expect(await store.failedBilledCalls(alice)).toEqual([
        {
          model: "claude-x", error_type: "timeout", calls: 2, input_tokens: 1500, output_tokens: 20, cost_usd: 0.3,
          unpriced_calls: 0, example_ids: ["c3", "c5"],
        },
      ]);
    });

    it("finds failed calls re-sent within the retry window", async () => {
      expect(await store.retriesAfterError(alice)).toEqual([
        { model: "claude-x", feature: "extract", retried_errors: 2, wasted_cost_usd: 0.1, unpriced_attempts: 0, example_ids: ["c1", "c5"] },
      ]);
      const wider = await store.retriesAfterError(alice, { windowSeconds: 120 });
      expect(wider.map((r) => [r.retried_errors, r.wasted_cost_usd, r.example_ids])).toEqual([[3, 0.3, ["c1", "c3", "c5"]]]);
    });

    it("finds truncated calls and those re-sent", async () => {
      expect(await store.truncationRetries(alice)).toEqual([
        {
          model: "gpt-4o-mini", feature: "summarize", truncated_calls: 2, retried_calls: 1, retried_cost_usd: 0.0625,
          retried_output_tokens: 256, max_tokens: 256, example_ids: ["d1"],
        },
      ]);
      expect(await store.truncationRetries(alice, { windowSeconds: 60 })).toEqual([
        {
          model: "gpt-4o-mini", feature: "summarize", truncated_calls: 2, retried_calls: 0, retried_cost_usd: null,
          retried_output_tokens: 0, max_tokens: 256, example_ids: [],
        },
      ]);
    });

    it("measures session input growth turn after turn", async () => {
      const s1 = {
        // inputs 2000, 2000, 3000, 4000 on turns 1..4: least-squares slope 3500 / 5 = 700
        session_id: "S1", model: "gpt-4o", feature: "chat", user_id: "u1", turns: 4, first_input_tokens: 2000,
        last_input_tokens: 4000, max_input_tokens: 4000, total_input_tokens: 11_000, slope_tokens_per_turn: 700,
        growth_ratio: 2, cost_usd: 2,
      };
      const s3 = {
        session_id: "S3", model: "gpt-4o-mini", feature: "summarize", user_id: null, turns: 3, first_input_tokens: 1000,
        last_input_tokens: 1000, max_input_tokens: 1000, total_input_tokens: 3000, slope_tokens_per_turn: 0,
        growth_ratio: 1, cost_usd: 0.3125,
      };
      expect(await store.sessionGrowth(alice)).toEqual([s1, s3]);
      expect(await store.sessionGrowth(alice, { limit: 1 })).toEqual([s1]);
      expect(await store.sessionGrowth(alice, { minTurns: 4 })).toEqual([s1]);
      expect(await store.sessionGrowth(alice, { minTurns: 3.5 })).toEqual([s1]);
      expect(await store.sessionGrowth(alice, { minTurns: 1 })).toHaveLength(3);
    });

    it("lists example ids by condition, most expensive first", async () => {
      expect(await store.exampleIds(alice, { status: "error" })).toEqual(["c3", "c5", "c1"]);
      expect(await store.exampleIds(alice, { unpriced: true })).toEqual(["e1", "e2"]);
      expect(await store.exampleIds(alice, { model: "gpt-4o" }, 2)).toEqual(["a4", "a3"]);
      expect(await store.exampleIds(alice, { feature: "summarize", finish_reason: "length" })).toEqual(["d1", "d4"]);
      expect(await store.exampleIds(alice, { stream: true })).toEqual(["e4"]);
    });

    it("applies time range, model and feature filters", async () => {
      const day2 = await store.totals({ ...alice, from: "2025-03-02T00:00:00Z" });
      expect([day2.records, day2.calls, day2.cost_usd, day2.unpriced_calls]).toEqual([4, 13, 0.6, 2]);
      expect(await store.totals({ ...alice, from: "2025-03-02" })).toEqual(day2);
      const day1 = await store.totals({ ...alice, to: "2025-03-02T00:00:00Z" });
      expect([day1.records, day1.cost_usd]).toEqual([15, 3.2]);
      const models = await store.totals({ ...alice, models: ["gpt-4o", "mystery-1"] });
      expect([models.records, models.cost_usd, models.unpriced_calls]).toEqual([7, 2.1, 2]);
      expect((await store.totals({ ...alice, features: ["extract"] })).records).toBe(6);
      expect((await store.totals({ ...alice, models: [] })).records).toBe(19);
      expect(await store.count({ ...alice, models: ["gpt-4o"], from: "2025-03-02T00:00:00Z" })).toBe(1);
    });

    it("scopes by corpus and lists an owner's corpora", async () => {
      expect(await store.listCorpora("alice")).toEqual([
        { corpus: "prod", records: 19, calls: 28, cost_usd: 3.8, from: "2025-03-01T10:00:00.000Z", to: "2025-03-03T04:30:00.000Z" },
        { corpus: "staging", records: 1, calls: 1, cost_usd: 0.001, from: "2025-03-01T11:00:00.000Z", to: "2025-03-01T11:00:00.000Z" },
      ]);
      const staging = await store.totals({ owner: "alice", corpus: "staging" });
      expect([staging.records, staging.cost_usd]).toEqual([1, 0.001]);
      expect((await store.totals({ owner: "alice" })).cost_usd).toBe(3.801);
    });

    it("never shows one owner's rows to another, in any query", async () => {
      const totals = await store.totals(bob);
      expect([totals.records, totals.calls, totals.cost_usd, totals.input_tokens]).toEqual([2, 2, 200, 1_999_998]);
      expect((await store.breakdown(bob, "model")).map((r) => [r.key, r.records])).toEqual([["gpt-4o", 2]]);
      expect((await store.percentiles(bob, "model")).map((r) => r.input_tokens.p50)).toEqual([999_999]);
      expect((await store.prefixReuse(bob)).map((r) => [r.calls, r.hits, r.example_ids])).toEqual([[2, 1, ["a2"]]]);
      expect((await store.duplicateRequests(bob)).map((r) => [r.calls, r.repeat_cost_usd])).toEqual([[2, 100]]);
      expect(await store.failedBilledCalls(bob)).toEqual([]);
      expect(await store.retriesAfterError(bob)).toEqual([]);
      expect(await store.truncationRetries(bob)).toEqual([]);
      expect((await store.sessionGrowth(bob)).map((r) => [r.session_id, r.turns, r.total_input_tokens])).toEqual([["S1", 2, 1_999_998]]);
      expect(await store.exampleIds(bob, {})).toEqual(["a1", "a2"]);
      expect(await store.unpricedModels(bob)).toEqual([]);
      expect((await store.listCorpora("bob")).map((c) => [c.corpus, c.records])).toEqual([["prod", 2]]);
      expect(await store.count({ owner: "mallory" })).toBe(0);
      expect(await store.listCorpora("mallory")).toEqual([]);
    });

    it("deletes one corpus of one owner only", async () => {
      await store.insert("carol", "x", [rec({ id: "k1", timestamp: at(0), model: "m", computed_cost_usd: 1 })]);
      await store.insert("carol", "y", [rec({ id: "k2", timestamp: at(0), model: "m", computed_cost_usd: 1 })]);
      await store.insert("dan", "x", [rec({ id: "k1", timestamp: at(0), model: "m", computed_cost_usd: 1 })]);
      expect(await store.deleteCorpus("carol", "x")).toBe(1);
      expect(await store.deleteCorpus("carol", "x")).toBe(0);
      expect((await store.listCorpora("carol")).map((c) => c.corpus)).toEqual(["y"]);
      expect(await store.count({ owner: "dan" })).toBe(1);
      // The id is free again once its corpus is gone.
      expect(await store.insert("carol", "z", [rec({ id: "k1", timestamp: at(0), model: "m", computed_cost_usd: 1 })])).toEqual({ inserted: 1, duplicates: 0 });
    });

    it("keeps the first of repeated ids within one batch", async () => {
      const first = rec({ id: "dup", timestamp: at(0), model: "m", input_tokens: 1, computed_cost_usd: 1 });
      const second = rec({ id: "dup", timestamp: at(5), model: "m", input_tokens: 2, computed_cost_usd: 2 });
      expect(await store.insert("frank", "p", [first, second])).toEqual({ inserted: 1, duplicates: 1 });
      const totals = await store.totals({ owner: "frank" });
      expect([totals.records, totals.input_tokens, totals.cost_usd]).toEqual([1, 1, 1]);
    });

    it("returns plain numbers for counts and sums beyond 32 bits", async () => {
      const big = 3_000_000_000_000;
      await store.insert("gina", "p", [
        rec({ id: "g1", timestamp: at(0), model: "m", input_tokens: big, output_tokens: big, computed_cost_usd: 1 }),
        rec({ id: "g2", timestamp: at(1), model: "m", input_tokens: big, output_tokens: big, num_requests: 4_000_000_000, computed_cost_usd: 1 }),
      ]);
      const totals = await store.totals({ owner: "gina" });
      expect(totals.input_tokens).toBe(6_000_000_000_000);
      expect(totals.calls).toBe(4_000_000_001);
      for (const value of [totals.records, totals.calls, totals.input_tokens, totals.cost_usd, totals.period.days]) {
        expect(typeof value).toBe("number");
      }
      const [row] = await store.breakdown({ owner: "gina" }, "model");
      expect(row).toEqual({
        key: "m", records: 2, calls: 4_000_000_001, cost_usd: 2, unpriced_calls: 0, input_tokens: 6_000_000_000_000,
        output_tokens: 6_000_000_000_000, cache_read_tokens: 0,
      });
      expect(typeof (await store.count({ owner: "gina" }))).toBe("number");
    });

    it("inserts a 12,345-row batch in one call, and ignores all of it the second time", async () => {
      const records = Array.from({ length: 12_345 }, (_, i) =>
        rec({
          id: `bulk-${i}`, timestamp: at(i), model: i % 2 ? "m-odd" : "m-even", input_tokens: i, output_tokens: 1,
          tags: [`t${i % 3}`], request_hash: `h${i % 100}`, computed_cost_usd: 0.001,
        }),
      );
      expect(await store.insert("hugo", "bulk", records)).toEqual({ inserted: 12_345, duplicates: 0 });
      expect(await store.insert("hugo", "bulk", records)).toEqual({ inserted: 0, duplicates: 12_345 });
      const totals = await store.totals({ owner: "hugo" });
      // Σ i for i < 12,345 = 12,345 · 12,344 / 2
      expect([totals.records, totals.calls, totals.input_tokens, totals.cost_usd]).toEqual([12_345, 12_345, 76_193_340, 12.345]);
    });

    it("stores the canonical fields faithfully: UTC instant, tags, booleans, NULL for unpriced", async () => {
      await store.insert("raw", "prod", [
        rec({
          id: "x", timestamp: "2025-05-01T23:30:00.123456-05:00", model: "m", tags: ["a,b", "c\"d", "{e}", "é", "NULL", "[x]"],
          stream: false, cost_mismatch: true, cost_usd: 0.3, temperature: 0, service_tier: "flex", num_requests: 7,
        }),
        rec({ id: "y", timestamp: "2025-05-01T12:00:00Z", model: "m", tags: [], computed_cost_usd: 0.01 }),
      ]);
      const rows = (await engine.readRaw("raw")).map((r) => ({ ...r, us: Number(r.us), num_requests: Number(r.num_requests) }));
      expect(rows).toEqual([
        {
          id: "x", us: Date.parse("2025-05-02T04:30:00.123Z") * 1000 + 456, num_requests: 7,
          tags: ["a,b", "c\"d", "{e}", "é", "NULL", "[x]"], stream: false, cost_mismatch: true, computed_cost_usd: null,
          cost_usd: 0.3, temperature: 0, service_tier: "flex", session_id: null,
        },
        {
          id: "y", us: Date.parse("2025-05-01T12:00:00Z") * 1000, num_requests: 1, tags: [], stream: null,
          cost_mismatch: false, computed_cost_usd: 0.01, cost_usd: null, temperature: null, service_tier: null, session_id: null,
        },
      ]);
    });

    it("writes a failing batch all or nothing, and stays usable", async () => {
      // 10,001 rows span two PostgreSQL statements; the last carries a timestamp no validation let through.
      const records = Array.from({ length: 10_001 }, (_, i) => rec({ id: `t-${i}`, timestamp: at(i), model: "m" }));
      records[10_000] = rec({ id: "bad", timestamp: "2025-13-45T99:00:00Z", model: "m" });
      const error = await rejection(store.insert("ivan", "prod", records));
      expect(isApexError(error) && error.code).toBe(ErrorCode.INTERNAL);
      expect(await store.count({ owner: "ivan" })).toBe(0);
      expect(await store.insert("ivan", "prod", records.slice(0, 2))).toEqual({ inserted: 2, duplicates: 0 });
    });

    it("inserts an empty batch as a no-op", async () => {
      expect(await store.insert("ivan", "prod", [])).toEqual({ inserted: 0, duplicates: 0 });
    });

    it("shares the database with a second store opened on it, and outlives that store's close", async () => {
      const [one, two] = await Promise.all([engine.open(), engine.open()]);
      const first = rec({ id: "j1", timestamp: at(0), model: "m", computed_cost_usd: 1 });
      expect(await one.insert("judy", "prod", [first])).toEqual({ inserted: 1, duplicates: 0 });
      expect(await two.insert("judy", "prod", [first, { ...first, id: "j2" }])).toEqual({ inserted: 1, duplicates: 1 });
      await one.close();
      await one.close();
      for (const attempt of [() => one.count({ owner: "judy" }), () => one.insert("judy", "prod", [first])]) {
        const error = await rejection(attempt());
        expect(isApexError(error) && error.code).toBe(ErrorCode.DATABASE_UNAVAILABLE);
      }
      expect(await two.count({ owner: "judy" })).toBe(2);
      await two.close();
      expect(await store.count({ owner: "judy" })).toBe(2);
    });

    it("rejects a bad scope with a clear error code", async () => {
      const attempts = [
        () => store.totals({ owner: "" }),
        () => store.totals({ owner: "alice", from: "yesterday" }),
        () => store.totals({ owner: "alice", to: "2025-03-02T10:00Z" }),
        () => store.breakdown(alice, "colour" as never),
        () => store.percentiles(alice, "user_id" as never),
        () => store.prefixReuse(alice, { windowSeconds: -1 }),
        () => store.insert("", "prod", ALICE_PROD),
      ];
      for (const attempt of attempts) {
        const error = await rejection(attempt());
        expect(isApexError(error) && error.code).toBe(ErrorCode.INVALID_REQUEST);
      }
    });
  });
}

// Random logs, both engines: every query must give the same answer on DuckDB and PostgreSQL, ties and rounding included.
describe.skipIf(!databaseUrl)(`DuckDB and PostgreSQL agree on random logs${databaseUrl ? "" : " (set DATABASE_URL to run)"}`, () => {
  let duck: UsageStore;
  let post: UsageStore;
  beforeAll(async () => {
    duck = await openUsageStore({ path: ":memory:" });
    post = await openUsageStore({ databaseUrl, schema });
  });
  afterAll(async () => {
    await duck?.close();
    await post?.close();
  });

  const pick = <T,>(values: readonly T[]) => fc.constantFrom(...values);
  const maybe = <T,>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const record = fc.record({
    // Few distinct ids and seconds: in-batch repeats and timestamp ties (broken by id, upper and lower case).
    id: fc.stringMatching(/^[a-cA-C_é]{1,3}$/),
    second: fc.integer({ min: 0, max: 900 }),
    model: pick(["m-a", "m-b", "M-c"]),
    feature: maybe(pick(["f1", "f2"])),
    input_tokens: fc.integer({ min: 0, max: 50_000 }),
    output_tokens: fc.integer({ min: 0, max: 4000 }),
    status: pick(["success", "error", "cache_hit"] as const),
    finish_reason: maybe(pick(["stop", "length", "tool_calls"])),
    service_tier: maybe(pick(["standard", "batch", "priority"] as const)),
    cache_read_tokens: maybe(pick([0, 512])),
    stream: maybe(fc.boolean()),
    user_id: maybe(pick(["u1", "u2"])),
    temperature: maybe(pick([0, 0.7])),
    request_hash: maybe(pick(["r1", "r2", "r3"])),
    prefix_hash: maybe(pick(["p1", "p2"])),
    session_id: maybe(pick(["s1", "s2", "s3"])),
    duration_ms: maybe(fc.integer({ min: 1, max: 30_000 })),
    computed_cost_usd: fc.option(fc.double({ min: 0, max: 2, noNaN: true }), { nil: null }),
    cost_usd: maybe(fc.double({ min: 0, max: 2, noNaN: true })),
    num_requests: pick([1, 1, 1, 4]),
  });

  it("gives identical answers to every query", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 120 }), async (drafts) => {
        const owner = `rand-${run++}`;
        const records = drafts.map(({ second, ...r }) =>
          rec({ ...r, timestamp: at(second), prefix_tokens: r.prefix_hash ? Math.min(1024, r.input_tokens) : undefined }),
        );
        const [a, b] = await Promise.all([duck.insert(owner, "c", records), post.insert(owner, "c", records)]);
        expect(a).toEqual(b);
        const scope: Scope = { owner };
        for (const ask of [
          (s: UsageStore) => s.totals(scope),
          (s: UsageStore) => s.unpricedModels(scope),
          (s: UsageStore) => s.breakdown(scope, "model"),
          (s: UsageStore) => s.breakdown(scope, "feature"),
          (s: UsageStore) => s.breakdown(scope, "day"),
          (s: UsageStore) => s.percentiles(scope, "model"),
          (s: UsageStore) => s.prefixReuse(scope),
          (s: UsageStore) => s.duplicateRequests(scope, { windowSeconds: 200 }),
          (s: UsageStore) => s.failedBilledCalls(scope),
          (s: UsageStore) => s.retriesAfterError(scope),
          (s: UsageStore) => s.truncationRetries(scope, { windowSeconds: 300 }),
          (s: UsageStore) => s.sessionGrowth(scope, { minTurns: 1 }),
          (s: UsageStore) => s.exampleIds(scope, { status: "error" }, 10),
          (s: UsageStore) => s.exampleIds(scope, {}, 20),
          (s: UsageStore) => s.featureModels(scope),
          (s: UsageStore) => s.tierUsage(scope),
          (s: UsageStore) => s.prefixCaching(scope, { minPrefixTokens: 10 }),
          (s: UsageStore) => s.sessionContext(scope),
          (s: UsageStore) => s.failedAttempts(scope, { windowSeconds: 300 }),
          (s: UsageStore) => s.longInputCalls(scope, 20_000),
        ]) {
          expect(await ask(duck)).toEqual(await ask(post));
        }
      }),
      { numRuns: 25 },
    );
  });
});
