// Logged errors never carry the values a query was bound to (issue 13, finding 9: a failed insert logged the
// account's password hash, because the query builder's error holds them in `params` and at the end of its message).
// A real failed insert on the app store, logged through the server's logger as the server logs it, captured.
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toApexError } from "../../src/protocol/errors.ts";
import type { Database } from "../../src/store/database.ts";
import { storeTargets, type DisposableDatabase } from "../../src/store/disposable-database.ts";
import { users } from "../../src/store/schema.ts";
import { UserRepository } from "../../src/store/users.ts";
import { createLogger } from "../../src/telemetry/logger.ts";

const HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0LXNhbHQ$dGhpcy1pcy1hLXNlY3JldC1oYXNo";

/** A logger like the server's, writing its lines into an array. */
function capturedLogger(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  return { lines, log: createLogger("info", () => ({}), sink) };
}

async function failure(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("the insert was expected to fail");
}

describe.each(storeTargets())("log redaction on $name", (target) => {
  let disposable: DisposableDatabase;
  let database: Database;

  beforeAll(async () => {
    disposable = await target.create();
    database = disposable.database;
  });

  afterAll(async () => {
    await disposable.drop();
  });

  it("logs a failed insert's SQL and cause, never its bound values", async () => {
    const taken = await new UserRepository(database.db).create({ email: "first@example.com", passwordHash: "x-hash" });
    // The same primary key again: the database refuses it, and the error holds the whole row's values.
    const error = await failure(() => database.db.insert(users).values({ id: taken.id, email: `${randomUUID()}@example.com`, passwordHash: HASH }));
    expect(JSON.stringify({ message: (error as Error).message, params: (error as { params?: unknown }).params })).toContain(HASH);

    const { lines, log } = capturedLogger();
    log.error({ err: error }, "apex server error");
    log.error({ err: toApexError(error) }, "apex server error"); // as a route's 500 wraps it
    log.error(error as Error);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).not.toContain(HASH);
      expect(line).not.toContain("argon2id");
      expect(line).toContain("insert into");
    }
  });
});

describe("log redaction of driver state", () => {
  it("drops the connection a driver hangs on its error (pg's `client`), keeping the code", () => {
    const { lines, log } = capturedLogger();
    const error = Object.assign(new Error("terminating connection due to administrator command"), {
      code: "57P01",
      client: { connectionParameters: { user: "postgres", host: "db.internal", database: "apex" }, _queryQueue: [] },
    });
    log.error({ err: error }, "apex server error");
    expect(lines.join("")).toContain("57P01");
    expect(lines.join("")).not.toContain("connectionParameters");
    expect(lines.join("")).not.toContain("db.internal");
  });
});
