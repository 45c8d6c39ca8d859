import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { Logger } from "drizzle-orm/logger";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import * as schema from "./schema.ts";
import { redactUrl } from "../protocol/redact.ts";

// Opens the app store: PGlite (embedded, the default) or PostgreSQL when a URL is given, both behind one drizzle
// database, with the committed migrations applied before anything else touches it.

export type StoreSchema = typeof schema;
export type StoreDb = PgDatabase<PgQueryResultHKT, StoreSchema>;

export interface Database {
  readonly db: StoreDb;
  readonly engine: "pglite" | "postgres";
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL URL; when absent the store is PGlite. */
  databaseUrl?: string | undefined;
  /** Where PGlite keeps its files (in `<dataDir>/store`); in memory when absent. Ignored with a databaseUrl. */
  dataDir?: string | undefined;
  /** Sees every statement drizzle sends (tests count the event log's INSERTs with it). */
  logger?: Logger;
  /** Errors of idle pooled PostgreSQL connections; the pool drops such a connection and the next query opens another. */
  onPoolError?: (error: Error) => void;
  /** Connections in the PostgreSQL pool. */
  poolSize?: number;
}

/** The committed migrations (drizzle-kit output); `apex doctor` compares them with the applied ones. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));
/** Serializes migrations of concurrently starting nodes; an arbitrary constant that only this store uses. */
const MIGRATION_LOCK_KEY = 4_170_061_006;

/** Where PGlite keeps the app store inside a data directory. */
export function embeddedStoreDir(dataDir: string): string {
  return join(dataDir, "store");
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  return options.databaseUrl === undefined || options.databaseUrl === ""
    ? openPglite(options)
    : openPostgres(options.databaseUrl, options);
}

async function openPglite(options: OpenDatabaseOptions): Promise<Database> {
  let client: PGlite;
  const dir = options.dataDir === undefined || options.dataDir === "" ? undefined : embeddedStoreDir(options.dataDir);
  try {
    if (dir !== undefined) await mkdir(dir, { recursive: true });
    client = await PGlite.create(dir === undefined ? {} : { dataDir: dir });
  } catch (error) {
    throw new ApexError(
      ErrorCode.DATABASE_UNAVAILABLE,
      `Could not open the embedded database${dir === undefined ? "" : ` in ${dir}`}: ${messageOf(error)}. Check that the directory is writable and not used by another apex process.`,
      { cause: error },
    );
  }
  const db = drizzlePglite({ client, schema, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  try {
    await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  } catch (error) {
    await client.close();
    throw migrationError(error);
  }
  return { db, engine: "pglite", close: () => client.close() };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const where = redactUrl(url, `the configured ${EnvVar.DATABASE_URL} (not a valid URL)`);
  const migrator = new pg.Client({ connectionString: url });
  migrator.on("error", () => undefined); // a dropped migration connection surfaces as the failed query below
  try {
    await migrator.connect();
  } catch (error) {
    throw new ApexError(
      ErrorCode.DATABASE_UNAVAILABLE,
      `Could not connect to PostgreSQL at ${where}: ${messageOf(error)}. Check DATABASE_URL and that the server is running.`,
      { cause: error, retryable: true },
    );
  }
  try {
    // Session-level lock on the migration connection: a second node waits here, then finds nothing left to apply.
    await migrator.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await migrateNodePg(drizzleNodePg({ client: migrator }), { migrationsFolder: MIGRATIONS_FOLDER });
  } catch (error) {
    throw migrationError(error);
  } finally {
    await migrator.end().catch(() => undefined);
  }
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  const onPoolError = options.onPoolError ?? (() => undefined);
  pool.on("error", onPoolError);
  const db = drizzleNodePg({ client: pool, schema, ...(options.logger === undefined ? {} : { logger: options.logger }) });
  return { db, engine: "postgres", close: () => pool.end() };
}

/** True when the database answers a trivial query (for readiness probes). */
export async function databaseReady(database: Database): Promise<boolean> {
  try {
    await database.db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}

function migrationError(error: unknown): ApexError {
  return new ApexError(
    ErrorCode.DATABASE_UNAVAILABLE,
    `Could not apply the app store's migrations: ${messageOf(error)}. Check that the database user may create tables, then restart.`,
    { cause: error },
  );
}

function messageOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return (error instanceof Error ? error.message : String(error)) + cause;
}

