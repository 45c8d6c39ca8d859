import { DuckDBInstance } from "@duckdb/node-api";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { duckdbDialect, postgresDialect, type SqlDialect } from "./sql-dialect.ts";

// Each fragment, run on its own engine, must give the same value: the queries rely on it to answer identically.

type Evaluate = (sql: string) => Promise<Record<string, unknown>>;

const databaseUrl = process.env.DATABASE_URL;

async function duckdb(): Promise<{ evaluate: Evaluate; close: () => void }> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  return {
    evaluate: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJS()[0] ?? {},
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

async function postgres(): Promise<{ evaluate: Evaluate; close: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  return { evaluate: async (sql) => (await client.query(sql)).rows[0] ?? {}, close: () => client.end() };
}

const engines: { dialect: SqlDialect; skip: boolean; open: () => Promise<{ evaluate: Evaluate; close: () => unknown }> }[] = [
  { dialect: duckdbDialect, skip: false, open: duckdb },
  { dialect: postgresDialect, skip: !databaseUrl, open: postgres },
];

for (const { dialect, skip, open } of engines) {
  describe.skipIf(skip)(`${dialect.engine} dialect${skip ? " (set DATABASE_URL to run)" : ""}`, () => {
    it("gives epoch seconds with their fraction, whatever the offset", async () => {
      const db = await open();
      const row = await db.evaluate(
        `SELECT ${dialect.epochSeconds("CAST('2025-03-02T23:30:00.25-05:00' AS TIMESTAMPTZ)")} AS e`,
      );
      expect(row.e).toBe(Date.parse("2025-03-03T04:30:00.25Z") / 1000);
      await db.close();
    });

    it("names the UTC day and hour, not the local ones", async () => {
      const db = await open();
      const row = await db.evaluate(
        `SELECT ${dialect.utcDay("CAST('2025-03-02T23:30:00-05:00' AS TIMESTAMPTZ)")} AS late,
           ${dialect.utcDay("CAST('2025-03-03T00:30:00+02:00' AS TIMESTAMPTZ)")} AS early,
           ${dialect.utcHour("CAST('2025-03-02T23:30:00-05:00' AS TIMESTAMPTZ)")} AS hour`,
      );
      expect(row).toEqual({ late: "2025-03-03", early: "2025-03-02", hour: "04" });
      await db.close();
    });

    it("interpolates percentiles linearly between the nearest values", async () => {
      const db = await open();
      const row = await db.evaluate(
        `SELECT ${dialect.percentile(0.5, "v")} AS p50, ${dialect.percentile(0.9, "v")} AS p90,
           ${dialect.percentile(0.99, "v")} AS p99
         FROM (VALUES (10), (20), (30), (NULL), (40)) AS t(v)`,
      );
      expect(row.p50).toBeCloseTo(25, 9);
      expect(row.p90).toBeCloseTo(37, 9);
      expect(row.p99).toBeCloseTo(39.7, 9);
      await db.close();
    });

    it("orders text by code point", async () => {
      const db = await open();
      const row = await db.evaluate(
        `SELECT string_agg(s, ',' ORDER BY ${dialect.byteOrder("s")}) AS sorted
         FROM (VALUES ('b'), ('a'), ('B'), ('é'), ('_'), ('A')) AS t(s)`,
      );
      expect(row.sorted).toBe("A,B,_,a,b,é");
      await db.close();
    });
  });
}
