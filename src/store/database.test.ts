import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/names.ts";
import { databaseReady, MIGRATIONS_FOLDER, openDatabase, type Database } from "./database.ts";
import { storeTargets } from "./disposable-database.ts";
import { UserRepository } from "./users.ts";

/** Every committed migration, from drizzle's journal: each must be applied exactly once. */
const MIGRATIONS = (JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: unknown[] }).entries.length;
const TABLES = ["api_keys", "audit_log", "catalog_versions", "corpus_retention", "event_log", "ingest_log", "interrupts", "messages", "runs", "synthetic_jobs", "threads", "users"];

async function tables(database: Database): Promise<string[]> {
  const rows = await database.db.execute(sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`);
  const list = (rows as unknown as { rows: { table_name: string }[] }).rows;
  return list.map((row) => row.table_name);
}

async function appliedMigrations(database: Database): Promise<number> {
  const rows = await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return (rows as unknown as { rows: { n: number }[] }).rows[0]?.n ?? -1;
}

describe("openDatabase on PGlite", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("creates the schema in a data directory and reopens it without applying anything twice, keeping the rows", async () => {
    const dir = await mkdtemp(join(tmpdir(), "apex-store-"));
    dirs.push(dir);
    const first = await openDatabase({ dataDir: dir });
    expect(await tables(first)).toEqual(TABLES);
    expect(await appliedMigrations(first)).toBe(MIGRATIONS);
    await new UserRepository(first.db).create({ email: "kept@example.com", passwordHash: "h" });
    await first.close();

    const second = await openDatabase({ dataDir: dir });
    expect(await appliedMigrations(second)).toBe(MIGRATIONS);
    expect((await new UserRepository(second.db).findByEmail("kept@example.com"))?.email).toBe("kept@example.com");
    expect(await databaseReady(second)).toBe(true);
    await second.close();
    expect(await databaseReady(second)).toBe(false);
  });

  it("says which directory it could not open, with a code", async () => {
    const dir = await mkdtemp(join(tmpdir(), "apex-store-"));
    dirs.push(dir);
    const aFile = join(dir, "a-file");
    await writeFile(aFile, "not a directory");
    const error = await openDatabase({ dataDir: aFile }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.DATABASE_UNAVAILABLE });
    expect((error as Error).message).toContain(aFile);
  });
});

const postgres = storeTargets().find((target) => target.name === "postgres");

describe.skipIf(postgres === undefined)("openDatabase on PostgreSQL", () => {
  it("applies the migrations once even when two nodes open the same database at the same time, and again cleanly", async () => {
    const scratch = await postgres!.create();
    try {
      const url = scratch.url!;
      const [a, b] = await Promise.all([openDatabase({ databaseUrl: url }), openDatabase({ databaseUrl: url })]);
      const c = await openDatabase({ databaseUrl: url });
      for (const database of [scratch.database, a, b, c]) {
        expect(await tables(database)).toEqual(TABLES);
        expect(await appliedMigrations(database)).toBe(MIGRATIONS);
        expect(database.engine).toBe("postgres");
      }
      await Promise.all([a.close(), b.close(), c.close()]);
    } finally {
      await scratch.drop();
    }
  });

  it("answers database_unavailable, without the password, when the server does not answer", async () => {
    const error = await openDatabase({ databaseUrl: "postgres://apex:s3cret@127.0.0.1:1/nothing" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.DATABASE_UNAVAILABLE });
    expect(String((error as Error).message)).not.toContain("s3cret");
  });
});
