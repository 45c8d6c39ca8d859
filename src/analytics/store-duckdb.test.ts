import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { PricedUsageRecord } from "./record.ts";
import { openUsageStore } from "./open-usage-store.ts";

// What only the embedded DuckDB engine does; everything both engines share is in store.contract.test.ts.

const call = (id: string): PricedUsageRecord => ({
  id, timestamp: "2025-05-01T12:00:00Z", model: "m", input_tokens: 10, output_tokens: 1, status: "success",
  num_requests: 1, computed_cost_usd: 0.01, cost_mismatch: false,
});

describe("DuckDB usage store", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "apex-usage-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps its rows in dataDir/usage.duckdb across reopening, creating the directory", async () => {
    const dataDir = join(dir, "nested", "data");
    const first = await openUsageStore({ dataDir });
    expect(first.engine).toBe("duckdb");
    expect(await first.insert("alice", "prod", [call("1"), call("2")])).toEqual({ inserted: 2, duplicates: 0 });
    await first.close();
    expect(existsSync(join(dataDir, "usage.duckdb"))).toBe(true);

    const second = await openUsageStore({ dataDir });
    expect(await second.count({ owner: "alice" })).toBe(2);
    expect(await second.insert("alice", "prod", [call("2"), call("3")])).toEqual({ inserted: 1, duplicates: 1 });
    await second.close();
  });

  it("keeps each :memory: store its own database", async () => {
    const [a, b] = await Promise.all([openUsageStore({ path: ":memory:" }), openUsageStore({ path: ":memory:" })]);
    await a.insert("alice", "prod", [call("1")]);
    expect(await b.count({ owner: "alice" })).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it("serializes concurrent writes and reads on its one connection", async () => {
    const store = await openUsageStore({ path: ":memory:" });
    const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 500 }, (_, i) => call(`id-${b * 250 + i}`)));
    const [results, counts] = await Promise.all([
      Promise.all(batches.map((batch) => store.insert("alice", "prod", batch))),
      Promise.all(batches.map(() => store.count({ owner: "alice" }))),
    ]);
    // Neighbouring batches overlap by 250 ids: ids 0..1749, 1,750 distinct of 3,000 sent.
    expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(1750);
    expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(1250);
    expect(counts.every((c) => c >= 0 && c <= 1750)).toBe(true);
    expect(await store.count({ owner: "alice" })).toBe(1750);
    await store.close();
  });

  it("reports a path it cannot open as database_unavailable", async () => {
    const blocker = join(dir, "file.duckdb");
    const store = await openUsageStore({ path: blocker });
    await store.close();
    // A directory cannot be created inside a regular file.
    const error = await openUsageStore({ path: join(blocker, "below", "u.duckdb") }).then(
      () => new Error("expected a rejection"),
      (e: unknown) => e,
    );
    expect(isApexError(error) && error.code).toBe(ErrorCode.DATABASE_UNAVAILABLE);
  });
});
