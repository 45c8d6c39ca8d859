// The one classifier of database blips: real driver errors (a refused connection through drizzle, the server's SQLSTATEs
// as node-postgres reports them) are transient; a wrong query on PGlite or PostgreSQL is not, and is never retried.
import { createServer } from "node:net";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { databaseUnavailable, isTransientDatabaseError, retryDelay, retryThroughOutage, storeError } from "./database-outage.ts";
import { openDatabase } from "./database.ts";

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function serverError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError("the server said no", 0, "error");
  error.code = code;
  return error;
}

describe("isTransientDatabaseError", () => {
  it("recognises a refused connection behind drizzle's wrapper", async () => {
    const pool = new pg.Pool({ connectionString: `postgres://nobody@127.0.0.1:${await closedPort()}/none` });
    const error = await drizzle({ client: pool }).execute(sql`select 1`).catch((e: unknown) => e);
    await pool.end();
    expect(isTransientDatabaseError(error)).toBe(true);
    // The user-facing error repeats nothing of the driver's text.
    const shown = storeError(error) as ApexError;
    expect(shown).toMatchObject({ code: ErrorCode.DATABASE_UNAVAILABLE, retryable: true });
    expect(shown.message).not.toMatch(/select|127\.0\.0\.1|ECONNREFUSED/);
  });

  it("recognises the server shutting down, starting up or full, and a lost connection", () => {
    for (const code of ["57P01", "57P03", "53300", "08006"]) expect(isTransientDatabaseError(serverError(code))).toBe(true);
    expect(isTransientDatabaseError(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isTransientDatabaseError(new Error("timeout exceeded when trying to connect"))).toBe(true);
    expect(isTransientDatabaseError(Object.assign(new Error("read"), { code: "ECONNRESET" }))).toBe(true);
    expect(isTransientDatabaseError(new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })]))).toBe(true);
    expect(isTransientDatabaseError(databaseUnavailable("the run could not start"))).toBe(true);
  });

  it("does not take a wrong query, a constraint or our own errors for a blip", async () => {
    for (const code of ["23505", "42601", "22P05", "40001"]) expect(isTransientDatabaseError(serverError(code))).toBe(false);
    expect(isTransientDatabaseError(new ApexError(ErrorCode.NOT_FOUND, "no"))).toBe(false);
    expect(isTransientDatabaseError(new ApexError(ErrorCode.DATABASE_UNAVAILABLE, "cannot open the directory"))).toBe(false);
    expect(isTransientDatabaseError(undefined)).toBe(false);
    const pglite = await openDatabase();
    const error = await pglite.db.execute(sql`select * from no_such_table`).catch((e: unknown) => e);
    await pglite.close();
    expect(error).toBeInstanceOf(Error);
    expect(isTransientDatabaseError(error)).toBe(false);
    expect(storeError(error)).toBe(error);
  }, 60_000);
});

describe("retryThroughOutage", () => {
  it("backs off doubling, capped at a second", () => {
    expect([0, 1, 2, 3, 4, 10].map(retryDelay)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("retries a blip until the work succeeds, and never retries any other error", async () => {
    let calls = 0;
    const value = await retryThroughOutage(async () => {
      calls += 1;
      if (calls < 3) throw new Error("Connection terminated unexpectedly");
      return "stored";
    });
    expect([value, calls]).toEqual(["stored", 3]);

    let wrong = 0;
    const refused = await retryThroughOutage(async () => {
      wrong += 1;
      throw serverError("23505");
    }).catch((e: unknown) => e);
    expect([refused instanceof pg.DatabaseError, wrong]).toEqual([true, 1]);
  });

  it("gives up after its budget with database_unavailable saying what was not done", async () => {
    const started = Date.now();
    const error = await retryThroughOutage(() => Promise.reject(serverError("57P01")), { budgetMs: 350, what: "the run could not be recorded" }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ code: ErrorCode.DATABASE_UNAVAILABLE, retryable: true });
    expect((error as Error).message).toContain("the run could not be recorded");
  });
});
