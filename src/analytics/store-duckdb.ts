import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import {
  DuckDBDataChunkWriter,
  DuckDBInstance,
  JSToDuckDBValueConverter,
  type DuckDBConnection,
  type DuckDBValue,
  type JS,
} from "@duckdb/node-api";
import type { PricedUsageRecord } from "./record.ts";
import { duckdbDialect } from "./sql-dialect.ts";
import type { InsertResult, UsageStore } from "./store.ts";
import { abortReason } from "./query-parts.ts";
import { USAGE_COLUMNS, USAGE_TABLE_DDL, usageQueries, usageRow, type SqlRunner } from "./usage-queries.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";

// The embedded usage store: one DuckDB file (or :memory:) per process. Writes go through the Appender into a temporary
// staging table, then one INSERT ... ON CONFLICT DO NOTHING moves the new rows, so re-ingesting inserts nothing.
// Queries run on DuckDB's threads; a query whose signal aborts is interrupted there, and the Appender, which runs on the
// event loop, yields to it every APPEND_SLICE rows.

/** Rows converted at once, between two yields to the event loop (a data chunk of the default 2,048 took ~50 ms). */
const APPEND_SLICE = 256;
/** Rows after which the Appender's buffer is written to the table, so closing it has little left to do at once. */
const APPEND_FLUSH = 1_024;

const COLUMN_NAMES = USAGE_COLUMNS.map(([name]) => name);
// Staging keeps ts as text (the table casts it, offsets included) and a sequence to keep the first of in-batch repeats.
const STAGING_DDL = `CREATE TEMP TABLE IF NOT EXISTS usage_staging (${USAGE_COLUMNS.map(([name, type]) =>
  `${name} ${name === "ts" ? "TEXT" : type.replace(" NOT NULL", "")}`).join(", ")}, seq BIGINT)`;
const MOVE_STAGED = `INSERT INTO usage_records (${COLUMN_NAMES.join(", ")})
  SELECT ${COLUMN_NAMES.map((n) => (n === "ts" ? "CAST(ts AS TIMESTAMPTZ)" : n)).join(", ")} FROM usage_staging
  QUALIFY row_number() OVER (PARTITION BY owner, id ORDER BY seq) = 1
  ON CONFLICT DO NOTHING`;

/** Disk and lock failures are the database being unavailable; anything else is a fault of the statement. */
function failure(what: string, cause: unknown, code?: typeof ErrorCode.DATABASE_UNAVAILABLE): ApexError {
  if (cause instanceof ApexError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const io = /^IO Error|Could not set lock|Permission denied/i.test(reason);
  return new ApexError(code ?? (io ? ErrorCode.DATABASE_UNAVAILABLE : ErrorCode.INTERNAL), `${what}: ${reason}`, { cause });
}

/** Creates the tables if missing; a store opening the same file at the same moment may win the race, so retry. */
async function createTables(connection: DuckDBConnection): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await connection.run(USAGE_TABLE_DDL);
      for (const ddl of duckdbDialect.indexes) await connection.run(ddl);
      break;
    } catch (cause) {
      if (attempt >= 3 || !/write-write conflict/i.test(String(cause))) throw cause;
    }
  }
  await connection.run(STAGING_DDL);
}

/** Opens the store; `memoryLimitMb` bounds what DuckDB's queries may hold (a setting of the whole database). */
export async function openDuckdbUsageStore(path: string, memoryLimitMb?: number): Promise<UsageStore> {
  if (memoryLimitMb !== undefined && !(Number.isInteger(memoryLimitMb) && memoryLimitMb > 0)) {
    throw new ApexError(ErrorCode.INVALID_CONFIG, `The usage store's memory limit must be a whole number of MiB, got ${memoryLimitMb}.`);
  }
  const memory = path === ":memory:";
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection;
  try {
    if (!memory) await mkdir(dirname(path), { recursive: true });
    // Two instances on one file in one process would corrupt it; the cache shares one database and closes it with
    // the last handle. Each :memory: store stays its own database.
    instance = memory ? await DuckDBInstance.create(path) : await DuckDBInstance.fromCache(path);
    connection = await instance.connect();
    // UTC session: a date-only scope bound then means midnight UTC, as on PostgreSQL.
    await connection.run("SET TimeZone = 'UTC'");
    // A whole number checked above: SET takes no parameters.
    if (memoryLimitMb !== undefined) await connection.run(`SET memory_limit = '${memoryLimitMb}MiB'`);
    await createTables(connection);
  } catch (cause) {
    instance?.closeSync();
    throw failure(
      `Cannot open the usage database ${path} (stop any other Apex process using it, or choose another data directory)`,
      cause,
      ErrorCode.DATABASE_UNAVAILABLE,
    );
  }
  const conn = connection;
  const db = instance;
  // One connection serves every call; multi-statement writes must not interleave, so calls run one after another.
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;
  // A call whose signal aborted while it waited its turn never runs.
  function serial<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (closed) return Promise.reject(new ApexError(ErrorCode.DATABASE_UNAVAILABLE, "The usage store is closed; open it again."));
    const guarded = () => (signal?.aborted === true ? Promise.reject(abortReason(signal)) : task());
    const result = tail.then(guarded, guarded);
    tail = result.catch(() => undefined);
    return result;
  }

  const runner: SqlRunner = {
    dialect: duckdbDialect,
    all: (sql, params, signal) =>
      serial(async () => {
        // The connection runs this query alone (serial), so interrupting it stops exactly this one.
        const interrupt = () => conn.interrupt();
        signal?.addEventListener("abort", interrupt, { once: true });
        try {
          return (await conn.runAndReadAll(sql, params as DuckDBValue[])).getRowObjectsJS();
        } catch (cause) {
          if (signal?.aborted === true) throw abortReason(signal);
          throw failure("A usage query failed in DuckDB", cause);
        } finally {
          signal?.removeEventListener("abort", interrupt);
        }
      }, signal),
    run: (sql, params) =>
      serial(async () => {
        try {
          return (await conn.run(sql, params as DuckDBValue[])).rowsChanged;
        } catch (cause) {
          throw failure("A usage statement failed in DuckDB", cause);
        }
      }),
  };

  async function insertStaged(owner: string, corpus: string, records: readonly PricedUsageRecord[]): Promise<number> {
    await conn.run("BEGIN TRANSACTION");
    try {
      const appender = await conn.createAppender("usage_staging", "main", "temp");
      try {
        const writer = DuckDBDataChunkWriter.forAppender<JS>(appender, { converter: JSToDuckDBValueConverter, rowsPerDataChunk: APPEND_SLICE });
        for (let seq = 0; seq < records.length; seq += 1) {
          if (seq > 0 && seq % APPEND_SLICE === 0) {
            if (seq % APPEND_FLUSH === 0) appender.flushSync();
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          const record = records[seq];
          if (record === undefined) continue;
          const row = usageRow(owner, corpus, record);
          row.push(seq);
          writer.appendRow(row);
        }
        writer.flush();
      } finally {
        appender.closeSync();
      }
      const moved = (await conn.run(MOVE_STAGED)).rowsChanged;
      await conn.run("DELETE FROM usage_staging");
      await conn.run("COMMIT");
      return moved;
    } catch (cause) {
      // The rollback also empties the staging table, so the next batch starts clean.
      await conn.run("ROLLBACK").catch(() => undefined);
      throw failure("Writing usage records to DuckDB failed", cause);
    }
  }

  return {
    engine: "duckdb",
    ...usageQueries(runner),
    insert(owner, corpus, records): Promise<InsertResult> {
      if (!owner || !corpus) {
        return Promise.reject(new ApexError(ErrorCode.INVALID_REQUEST, "Inserting usage records needs an owner and a corpus name."));
      }
      if (records.length === 0) return Promise.resolve({ inserted: 0, duplicates: 0 });
      return serial(async () => {
        const inserted = await insertStaged(owner, corpus, records);
        return { inserted, duplicates: records.length - inserted };
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await tail;
      conn.closeSync();
      db.closeSync();
    },
  };
}
