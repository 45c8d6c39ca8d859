import { randomBytes } from "node:crypto";
import pg from "pg";
import { EnvVar } from "../protocol/names.ts";
import { openDatabase, type Database, type OpenDatabaseOptions } from "./database.ts";

// Throw-away stores for tests and benchmarks: PGlite in memory always, and a fresh PostgreSQL database (created on the
// server DATABASE_URL points at, dropped afterwards) when DATABASE_URL is set, so runs never see each other's rows.

export interface DisposableDatabase {
  database: Database;
  /** The URL of the fresh PostgreSQL database (absent on PGlite), e.g. to open a second node on it. */
  url?: string;
  drop(): Promise<void>;
}

export interface StoreTarget {
  name: "pglite" | "postgres";
  create(options?: Pick<OpenDatabaseOptions, "logger">): Promise<DisposableDatabase>;
}

export function storeTargets(env: NodeJS.ProcessEnv = process.env): StoreTarget[] {
  const targets: StoreTarget[] = [{ name: "pglite", create: createPglite }];
  const url = env[EnvVar.DATABASE_URL];
  if (url !== undefined && url !== "") targets.push({ name: "postgres", create: (options) => createPostgres(url, options) });
  return targets;
}

async function createPglite(options: Pick<OpenDatabaseOptions, "logger"> = {}): Promise<DisposableDatabase> {
  const database = await openDatabase(options);
  return { database, drop: () => database.close() };
}

async function createPostgres(serverUrl: string, options: Pick<OpenDatabaseOptions, "logger"> = {}): Promise<DisposableDatabase> {
  const name = `apex_store_${randomBytes(6).toString("hex")}`;
  await withAdmin(serverUrl, (admin) => admin.query(`create database "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), ...options });
  return {
    database,
    url: url.toString(),
    drop: async () => {
      await database.close();
      await withAdmin(serverUrl, (admin) => admin.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

async function withAdmin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl });
  admin.on("error", () => undefined);
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
