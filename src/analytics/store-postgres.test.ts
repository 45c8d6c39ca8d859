import { randomUUID } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { ApexError, isApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { openUsageStore } from "./open-usage-store.ts";

// What only the PostgreSQL engine does; everything both engines share is in store.contract.test.ts.

const databaseUrl = process.env.DATABASE_URL;

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => new Error("expected a rejection"), (error: unknown) => error);
}

describe.skipIf(!databaseUrl)(`PostgreSQL usage store${databaseUrl ? "" : " (set DATABASE_URL to run)"}`, () => {
  it("rejects a schema name it would have to quote", async () => {
    const error = await failureOf(openUsageStore({ databaseUrl, schema: "x; DROP TABLE y" }));
    expect(isApexError(error) && error.code).toBe(ErrorCode.INVALID_CONFIG);
  });

  it("reports an unreachable server as a retryable database_unavailable", async () => {
    const error = await failureOf(openUsageStore({ databaseUrl: "postgres://postgres@127.0.0.1:1/test", schema: "apex_unused" }));
    expect(isApexError(error) && error.code).toBe(ErrorCode.DATABASE_UNAVAILABLE);
    expect(isApexError(error) && error.retryable).toBe(true);
  });

  it("cancels a query whose signal aborts in the server, and answers the next one (issue 13, finding 11)", async () => {
    const schema = `apex_cancel_${randomUUID().slice(0, 8)}`;
    const store = await openUsageStore({ databaseUrl, schema, poolSize: 1 });
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      await admin.query(`INSERT INTO ${schema}.usage_records (owner, corpus, id, ts, model, input_tokens, output_tokens, status, num_requests, cost_mismatch, prefix_hash, prefix_tokens, computed_cost_usd)
        SELECT 'alice', 'big', 'r' || i, TIMESTAMPTZ '2025-01-01' + i * INTERVAL '1 second', 'm' || (i % 7), 1000, 10, 'success', 1, false, 'p' || (i % 5000), 2000, 0.001
        FROM generate_series(1, 200000) AS i`);
      const deadline = new ApexError(ErrorCode.TOOL_TIMEOUT, "took too long");
      const controller = new AbortController();
      const slow = store.prefixReuse({ owner: "alice", signal: controller.signal });
      setTimeout(() => controller.abort(deadline), 50);
      // Rejected because PostgreSQL cancelled the statement: abandoned only, it would resolve with rows.
      await expect(slow).rejects.toBe(deadline);
      const running = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%prefix_hash%' AND pid <> pg_backend_pid()");
      expect(running.rows[0]?.n).toBe(0);
      // The pool's one connection is free and unharmed.
      expect(await store.count({ owner: "alice" })).toBe(200_000);
    } finally {
      await store.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  });
});
