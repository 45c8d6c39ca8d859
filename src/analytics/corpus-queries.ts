import type { CorpusDescription } from "../protocol/rest.ts";
import type { UsageRecord } from "./record.ts";
import type { UsageQueries } from "./store.ts";
import { iso, num, requireOwner, type SqlRow, type SqlRunner } from "./query-parts.ts";

// A user's corpora as things to manage: describe, rename, export. Written once over the SqlRunner like every other
// query; deletion and the listing live with the read queries (usage-queries.ts).

/** Rows fetched per page of an export: bounded memory whatever the corpus size. */
const EXPORT_PAGE = 5_000;
/** Columns of the store that are not fields of the canonical record. */
const STORE_ONLY = new Set(["owner", "corpus", "id", "ts", "computed_cost_usd", "cost_mismatch"]);

/** Turns a stored row back into the canonical record it was ingested from (absent fields left out, ts as `timestamp`). */
function recordReader(columns: readonly (readonly [string, string])[]): (row: SqlRow) => UsageRecord {
  const fields = columns.filter(([name]) => !STORE_ONLY.has(name));
  return (row) => {
    const record: Record<string, unknown> = { id: String(row.id), timestamp: iso(row.ts) };
    for (const [name, type] of fields) {
      const value = row[name];
      if (value === null || value === undefined) continue;
      if (type.startsWith("BIGINT") || type.startsWith("FLOAT8")) record[name] = num(value);
      else if (Array.isArray(value)) record[name] = value.map(String);
      else record[name] = value;
    }
    return record as UsageRecord;
  };
}

type CorpusQueries = Pick<UsageQueries, "describeCorpus" | "renameCorpus" | "exportCorpus">;

/** `columns` are the store's (usage-queries.ts USAGE_COLUMNS), passed in so the two files do not import each other. */
export function corpusQueries(
  db: SqlRunner,
  read: Pick<UsageQueries, "totals" | "breakdown">,
  columns: readonly (readonly [string, string])[],
): CorpusQueries {
  const byId = db.dialect.byteOrder("id");
  const recordOf = recordReader(columns);
  return {
    async describeCorpus(owner, corpus): Promise<CorpusDescription | null> {
      requireOwner(owner);
      const scope = { owner, corpus };
      const totals = await read.totals(scope);
      if (totals.records === 0) return null;
      const rows = (dimension: "model" | "feature") =>
        read.breakdown(scope, dimension).then((list) => list.map((r) => ({ name: r.key, records: r.records, calls: r.calls, cost_usd: r.cost_usd })));
      return {
        corpus,
        records: totals.records,
        calls: totals.calls,
        cost_usd: totals.cost_usd,
        unpriced_calls: totals.unpriced_calls,
        input_tokens: totals.input_tokens,
        output_tokens: totals.output_tokens,
        period: totals.period,
        models: await rows("model"),
        features: await rows("feature"),
      };
    },

    async renameCorpus(owner, corpus, name) {
      requireOwner(owner);
      return db.run("UPDATE usage_records SET corpus = $3 WHERE owner = $1 AND corpus = $2", [owner, corpus, name]);
    },

    async *exportCorpus(owner, corpus) {
      requireOwner(owner);
      // Keyset pages on the id (unique per owner): no OFFSET rescans, and rows added meanwhile cannot repeat a row.
      let after = "";
      for (;;) {
        const page = await db.all(
          `SELECT * FROM usage_records WHERE owner = $1 AND corpus = $2 AND ${byId} > $3 ORDER BY ${byId} LIMIT ${EXPORT_PAGE}`,
          [owner, corpus, after],
        );
        for (const row of page) yield recordOf(row);
        const last = page.at(-1);
        if (page.length < EXPORT_PAGE || last === undefined) return;
        after = String(last.id);
      }
    },
  };
}
