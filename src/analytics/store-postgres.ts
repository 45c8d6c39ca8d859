import pg from "pg";
import type { PricedUsageRecord } from "./record.ts";
import { abortReason } from "./query-parts.ts";
import { postgresDialect } from "./sql-dialect.ts";
import type { InsertResult, UsageStore } from "./store.ts";
import { USAGE_COLUMNS, USAGE_TABLE_DDL, usageQueries, usageRow, type SqlRunner, type SqlValue } from "./usage-queries.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";

// The server usage store on PostgreSQL. Writes send one array per column and unnest them server side, so a statement
// carries 36 parameters whatever the batch size (the 65,535-parameter limit of multi-row VALUES never applies).
// A query whose signal aborts is cancelled in the server (pg_cancel_backend of its backend), not only abandoned.

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const BATCH_ROWS = 10_000;
const COLUMN_NAMES = USAGE_COLUMNS.map(([name]) => name);
const TAGS_INDEX = COLUMN_NAMES.indexOf("tags");
// PostgreSQL has no array of arrays of different lengths, so tags travel as JSON text and are unpacked per row.
const INSERT_UNNEST = `INSERT INTO usage_records (${COLUMN_NAMES.join(", ")})
  SELECT ${COLUMN_NAMES.map((n) =>
    n === "tags" ? "CASE WHEN tags IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(tags::jsonb)) END" : n,
  ).join(", ")}
  FROM unnest(${USAGE_COLUMNS.map(([name, type], i) => `$${i + 1}::${name === "tags" ? "TEXT" : type.replace(" NOT NULL", "")}[]`).join(", ")})
    AS staged(${COLUMN_NAMES.join(", ")})
  ON CONFLICT (owner, id) DO NOTHING`;

const CONNECTION_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "57P01", "57P03"]);

/** A lost or refused connection is worth retrying; any other failure is a fault of the statement. */
function failure(what: string, cause: unknown): ApexError {
  if (cause instanceof ApexError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const code = String((cause as { code?: unknown } | null)?.code ?? "");
  const lost = CONNECTION_ERRORS.has(code) || code.startsWith("08") || reason.includes("Connection terminated");
  return lost
    ? new ApexError(ErrorCode.DATABASE_UNAVAILABLE, `${what}: ${reason}`, { cause, retryable: true })
    : new ApexError(ErrorCode.INTERNAL, `${what}: ${reason}`, { cause });
}

/** One array per column, rows in order; tags serialized as JSON. */
function columnArrays(owner: string, corpus: string, records: readonly PricedUsageRecord[]): SqlValue[][] {
  const columns: SqlValue[][] = COLUMN_NAMES.map(() => []);
  for (const record of records) {
    usageRow(owner, corpus, record).forEach((value, i) => {
      columns[i]?.push(i === TAGS_INDEX && value !== null ? JSON.stringify(value) : value);
    });
  }
  return columns;
}

async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    // Two processes opening the same database at once would otherwise race on CREATE ... IF NOT EXISTS.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('apex.usage_records.ddl'))");
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(USAGE_TABLE_DDL);
    for (const ddl of postgresDialect.indexes) await client.query(ddl);
    await client.query("COMMIT");
  } catch (cause) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw cause;
  } finally {
    client.release();
  }
}

export async function openPostgresUsageStore(databaseUrl: string, schema: string, poolSize: number): Promise<UsageStore> {
  if (!SCHEMA_NAME.test(schema)) {
    throw new ApexError(
      ErrorCode.INVALID_CONFIG,
      `"${schema}" is not a usable PostgreSQL schema name; use lower-case letters, digits and underscores.`,
    );
  }
  // UTC sessions: a date-only scope bound then means midnight UTC, as on DuckDB.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, options: `-c search_path=${schema} -c TimeZone=UTC` });
  // An idle client that loses its server emits 'error' on the pool; without a listener the process would exit.
  pool.on("error", () => undefined);
  try {
    await createSchema(pool, schema);
  } catch (cause) {
    await pool.end().catch(() => undefined);
    throw failure("Cannot prepare the usage tables in PostgreSQL (check DATABASE_URL and that the server is up)", cause);
  }

  let closed = false;
  /** Cancels the statement running on backend `pid`, from a connection of its own (the pool may be full). */
  async function cancelBackend(pid: number): Promise<void> {
    const canceller = new pg.Client({ connectionString: databaseUrl });
    canceller.on("error", () => undefined);
    try {
      await canceller.connect();
      await canceller.query("SELECT pg_cancel_backend($1)", [pid]);
    } finally {
      await canceller.end().catch(() => undefined);
    }
  }
  async function query(sql: string, params: readonly SqlValue[], signal?: AbortSignal): Promise<pg.QueryResult> {
    if (closed) throw new ApexError(ErrorCode.DATABASE_UNAVAILABLE, "The usage store is closed; open it again.");
    if (signal === undefined) {
      try {
        return await pool.query(sql, params as unknown[]);
      } catch (cause) {
        throw failure("A usage query failed in PostgreSQL", cause);
      }
    }
    if (signal.aborted) throw abortReason(signal);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      throw failure("A usage query failed in PostgreSQL", cause);
    }
    let cancelling: Promise<void> | undefined;
    const pid = (client as unknown as { processID: number | null }).processID;
    const cancel = () => {
      if (pid !== null) cancelling = cancelBackend(pid).catch(() => undefined);
    };
    signal.addEventListener("abort", cancel, { once: true });
    try {
      return await client.query(sql, params as unknown[]);
    } catch (cause) {
      if (signal.aborted) throw abortReason(signal);
      throw failure("A usage query failed in PostgreSQL", cause);
    } finally {
      signal.removeEventListener("abort", cancel);
      // The backend goes back to the pool only once a cancel in flight is over: it must not stop the next query.
      await cancelling;
      client.release();
    }
  }
  const runner: SqlRunner = {
    dialect: postgresDialect,
    all: async (sql, params, signal) => (await query(sql, params, signal)).rows as Record<string, unknown>[],
    run: async (sql, params) => (await query(sql, params)).rowCount ?? 0,
  };

  async function insertBatches(owner: string, corpus: string, records: readonly PricedUsageRecord[]): Promise<number> {
    const client = await pool.connect();
    let inserted = 0;
    try {
      await client.query("BEGIN");
      for (let start = 0; start < records.length; start += BATCH_ROWS) {
        const batch = records.slice(start, start + BATCH_ROWS);
        inserted += (await client.query(INSERT_UNNEST, columnArrays(owner, corpus, batch))).rowCount ?? 0;
      }
      await client.query("COMMIT");
      return inserted;
    } catch (cause) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw failure("Writing usage records to PostgreSQL failed", cause);
    } finally {
      client.release();
    }
  }

  return {
    engine: "postgres",
    ...usageQueries(runner),
    async insert(owner, corpus, records): Promise<InsertResult> {
      if (!owner || !corpus) {
        throw new ApexError(ErrorCode.INVALID_REQUEST, "Inserting usage records needs an owner and a corpus name.");
      }
      if (closed) throw new ApexError(ErrorCode.DATABASE_UNAVAILABLE, "The usage store is closed; open it again.");
      if (records.length === 0) return { inserted: 0, duplicates: 0 };
      const inserted = await insertBatches(owner, corpus, records);
      return { inserted, duplicates: records.length - inserted };
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
