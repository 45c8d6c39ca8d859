import { generateWorkload } from "../../src/analytics/generator/workload.ts";
import { ingestUsage } from "../../src/analytics/ingest.ts";
import { readUsageLines } from "../../src/analytics/read-usage.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import type { TestServer } from "./test-server.ts";

// A user's usage data for the server suites that need a real run to find something: a generated SaaS workload
// ingested straight into the server's usage store (the HTTP upload has its own suite). Small datasets keep runs fast.

const book = new PriceBook();

/** Ingests `records` generated usage records as `owner`'s default corpus; returns how many were stored. */
export async function loadUsage(server: TestServer, owner: string, records: number, seed = 5): Promise<number> {
  const workload = generateWorkload({ scenario: "saas", records, days: 14, seed, price: (r) => book.price(r).computed_cost_usd });
  const lines = [...workload.records()].map((r) => JSON.stringify(r));
  const reader = await readUsageLines(lines, { format: "canonical" });
  const ingested = await ingestUsage(reader, server.app.usage, { owner, corpus: "default", price: (r) => book.price(r) });
  return ingested.ingested;
}
