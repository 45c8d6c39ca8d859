import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import pg from "pg";
import { EnvVar } from "../protocol/names.ts";
import { raceAbort } from "../runtime/abort.ts";
import { embeddedStoreDir, MIGRATIONS_FOLDER } from "../store/database.ts";
import { hostPort, invalidUrl, messageOf, type DoctorCheck } from "./doctor-check.ts";

// The database check of `apex doctor`: PostgreSQL is connected to (briefly) and its migrations compared with the
// committed ones; the embedded PGlite store is only measured, never opened.

const POSTGRES_PORT = "5432";
/** Where drizzle's migrator records what it applied (its defaults; database.ts does not change them). */
const APPLIED_MIGRATIONS = `select max(created_at) as last from "drizzle"."__drizzle_migrations"`;
/** SQLSTATEs of a database that never ran the migrator: no drizzle schema or no migrations table. */
const NEVER_MIGRATED = new Set(["3F000", "42P01"]);

/** PostgreSQL when DATABASE_URL is set, else the embedded store in the data directory. */
export function checkDatabase(databaseUrl: string | undefined, dataDir: string, timeoutMs: number): Promise<DoctorCheck> {
  return databaseUrl === undefined ? checkEmbeddedStore(dataDir) : checkPostgres(databaseUrl, timeoutMs);
}

/** The embedded PGlite directory is only looked at: opening it next to a running server could damage it. */
async function checkEmbeddedStore(dataDir: string): Promise<DoctorCheck> {
  const name = "database";
  const dir = embeddedStoreDir(dataDir);
  const embedded = `embedded PGlite (no ${EnvVar.DATABASE_URL})`;
  try {
    const bytes = await directoryBytes(dir);
    return { name, status: "ok", detail: `${embedded} in ${dir}, ${formatBytes(bytes)}; not opened, a running server may hold it` };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      return { name, status: "fail", detail: `${embedded}: cannot read ${dir}: ${messageOf(error)}`, fix: `make ${dir} readable and writable by this user` };
    }
    return { name, status: "ok", detail: `${embedded}; ${dir} does not exist yet (apex serve creates it and applies the migrations)` };
  }
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** Connects with a short timeout, then compares the committed migrations with the ones drizzle recorded as applied. */
async function checkPostgres(url: string, timeoutMs: number): Promise<DoctorCheck> {
  const name = "database";
  const where = hostPort(url, POSTGRES_PORT);
  if (where === undefined) return invalidUrl(name, EnvVar.DATABASE_URL, "postgres://user:password@host:5432/db");
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on("error", () => undefined); // a dropped connection surfaces as the failed query
  try {
    await raceAbort(client.connect(), AbortSignal.timeout(timeoutMs + 500));
  } catch (error) {
    void client.end().catch(() => undefined);
    if (sqlState(error) !== undefined) {
      return { name, status: "fail", detail: `PostgreSQL at ${where} refused the connection: ${messageOf(error)}`, fix: `check the user, password and database name in ${EnvVar.DATABASE_URL}` };
    }
    return {
      name,
      status: "fail",
      detail: `cannot connect to PostgreSQL at ${where} — is it running? check ${EnvVar.DATABASE_URL} (${messageOf(error)})`,
      fix: `start PostgreSQL, or correct the host and port in ${EnvVar.DATABASE_URL}`,
    };
  }
  try {
    const pending = await pendingMigrations(client);
    if (pending > 0) {
      return { name, status: "warn", detail: `PostgreSQL at ${where}; migrations pending: ${pending}`, fix: "start apex serve once to apply them" };
    }
    return { name, status: "ok", detail: `PostgreSQL at ${where}; all ${readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).length} migrations applied` };
  } catch (error) {
    return { name, status: "fail", detail: `PostgreSQL at ${where} connected, but reading the applied migrations failed: ${messageOf(error)}`, fix: `check that the user in ${EnvVar.DATABASE_URL} may read the database` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drizzle applies every committed migration newer than the last one it recorded; those are the pending ones. */
async function pendingMigrations(client: pg.Client): Promise<number> {
  const committed = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  let last = -Infinity;
  try {
    const result = await client.query<{ last: string | null }>(APPLIED_MIGRATIONS);
    last = Number(result.rows[0]?.last ?? -Infinity);
  } catch (error) {
    if (!NEVER_MIGRATED.has(sqlState(error) ?? "")) throw error;
  }
  return committed.filter((migration) => migration.folderMillis > last).length;
}

/** The SQLSTATE of an error PostgreSQL itself answered (not a network error). */
function sqlState(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError ? error.code : undefined;
}

