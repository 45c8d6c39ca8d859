import { join } from "node:path";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import type { UsageStore } from "./store.ts";

// Opening the usage store: PostgreSQL when a database URL is given, else the embedded DuckDB file. Kept apart from
// store.ts so the engines can import the store's types without an import cycle.

/** PostgreSQL connections of the usage store unless configured: each run in flight queries on one at a time. */
export const DEFAULT_USAGE_POOL_SIZE = 8;
/** Memory the embedded DuckDB may use for its queries before it spills to disk or fails the query. */
export const DEFAULT_USAGE_MEMORY_LIMIT_MB = 2048;

export interface UsageStoreOptions {
  /** PostgreSQL connection string; when set, the store is PostgreSQL. */
  databaseUrl?: string | undefined;
  /** PostgreSQL schema holding the tables (created if missing); default `public`. */
  schema?: string | undefined;
  /** PostgreSQL connections kept open (the analyses' queries run on them at once); default `DEFAULT_USAGE_POOL_SIZE`. */
  poolSize?: number | undefined;
  /** Directory of the embedded DuckDB file `usage.duckdb`. */
  dataDir?: string | undefined;
  /** Explicit DuckDB file, or `:memory:`; wins over dataDir. */
  path?: string | undefined;
  /** DuckDB's memory limit in MiB; default `DEFAULT_USAGE_MEMORY_LIMIT_MB`. */
  memoryLimitMb?: number | undefined;
}

/** Picks the engine: PostgreSQL when a database URL is given, else DuckDB at `path` or `dataDir/usage.duckdb`. */
export async function openUsageStore(options: UsageStoreOptions): Promise<UsageStore> {
  // Engines load lazily so a PostgreSQL deployment never loads DuckDB's native binding, and the reverse.
  if (options.databaseUrl) {
    const { openPostgresUsageStore } = await import("./store-postgres.ts");
    return openPostgresUsageStore(options.databaseUrl, options.schema ?? "public", options.poolSize ?? DEFAULT_USAGE_POOL_SIZE);
  }
  const path = options.path ?? (options.dataDir ? join(options.dataDir, "usage.duckdb") : undefined);
  if (path === undefined) {
    throw new ApexError(
      ErrorCode.INVALID_CONFIG,
      `No usage database configured: set ${EnvVar.DATABASE_URL} for PostgreSQL, or ${EnvVar.DATA_DIR} for the embedded DuckDB file.`,
    );
  }
  const { openDuckdbUsageStore } = await import("./store-duckdb.ts");
  return openDuckdbUsageStore(path, options.memoryLimitMb ?? DEFAULT_USAGE_MEMORY_LIMIT_MB);
}
