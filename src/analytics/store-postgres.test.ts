import { describe, expect, it } from "vitest";
import { isApexError } from "../protocol/errors.ts";
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
});
