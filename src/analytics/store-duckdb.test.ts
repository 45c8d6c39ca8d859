import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApexError, isApexError } from "../protocol/errors.ts";
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

  it("interrupts a query whose signal aborts, and answers the next one (issue 13, finding 11)", async () => {
    const path = join(dir, "slow.duckdb");
    const store = await openUsageStore({ path, memoryLimitMb: 512 });
    // Enough rows, made by DuckDB itself, that the windowed prefix analysis runs for a while.
    const instance = await DuckDBInstance.fromCache(path);
    const fill = await instance.connect();
    const limit = (await fill.runAndReadAll("SELECT current_setting('memory_limit') AS m")).getRowObjectsJS()[0]?.m;
    expect(String(limit)).toMatch(/^(512\.0 MiB|536\.8 MB)$/);
    await fill.run(`INSERT INTO usage_records (owner, corpus, id, ts, model, input_tokens, output_tokens, status, num_requests, cost_mismatch, prefix_hash, prefix_tokens, computed_cost_usd)
      SELECT 'alice', 'big', 'r' || i, TIMESTAMPTZ '2025-01-01' + to_seconds(i), 'm' || (i % 7), 1000, 10, 'success', 1, false, 'p' || (i % 5000), 2000, 0.001
      FROM range(200000) t(i)`);
    fill.closeSync();

    const deadline = new ApexError(ErrorCode.TOOL_TIMEOUT, "took too long");
    const controller = new AbortController();
    const slow = store.prefixReuse({ owner: "alice", signal: controller.signal });
    // Queued behind the slow one with a signal that aborts first: it never runs.
    const queued = new AbortController();
    const waiting = store.duplicateRequests({ owner: "alice", signal: queued.signal });
    queued.abort();
    setTimeout(() => controller.abort(deadline), 30);
    // The rejection comes from DuckDB itself stopping the query: without the interrupt it would resolve with rows.
    await expect(slow).rejects.toBe(deadline);
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.CANCELLED });
    expect(await store.count({ owner: "alice" })).toBe(200_000);
    expect((await store.prefixReuse({ owner: "alice", corpus: "none" })).length).toBe(0);
    await store.close();
  });
});
