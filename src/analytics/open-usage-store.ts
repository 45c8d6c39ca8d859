import { join } from "node:path";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import type { UsageStore } from "./store.ts";

// Opening the usage store: PostgreSQL when a database URL is given, else the embedded DuckDB file. Kept apart from
// store.ts so the engines can import the store's types without an import cycle.

export interface UsageStoreOptions {
  /** PostgreSQL connection string; when set, the store is PostgreSQL. */
  databaseUrl?: string | undefined;
  /** PostgreSQL schema holding the tables (created if missing); default `public`. */
  schema?: string | undefined;
  /** Directory of the embedded DuckDB file `usage.duckdb`. */
  dataDir?: string | undefined;
  /** Explicit DuckDB file, or `:memory:`; wins over dataDir. */
  path?: string | undefined;
}

/** Picks the engine: PostgreSQL when a database URL is given, else DuckDB at `path` or `dataDir/usage.duckdb`. */
export async function openUsageStore(options: UsageStoreOptions): Promise<UsageStore> {
  // Engines load lazily so a PostgreSQL deployment never loads DuckDB's native binding, and the reverse.
  if (options.databaseUrl) {
    const { openPostgresUsageStore } = await import("./store-postgres.ts");
    return openPostgresUsageStore(options.databaseUrl, options.schema ?? "public");
  }
  const path = options.path ?? (options.dataDir ? join(options.dataDir, "usage.duckdb") : undefined);
  if (path === undefined) {
    throw new ApexError(
      ErrorCode.INVALID_CONFIG,
      `No usage database configured: set ${EnvVar.DATABASE_URL} for PostgreSQL, or ${EnvVar.DATA_DIR} for the embedded DuckDB file.`,
    );
  }
  const { openDuckdbUsageStore } = await import("./store-duckdb.ts");
  return openDuckdbUsageStore(path);
}
