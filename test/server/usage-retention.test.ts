// Usage data retention per corpus: an owner sets how many days of records a corpus keeps (REST), the server has a
// default for the others; the retention pass deletes older records and nothing else, on every store.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateWorkload } from "../../src/analytics/generator/workload.ts";
import { ingestUsage } from "../../src/analytics/ingest.ts";
import { readUsageLines } from "../../src/analytics/read-usage.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import { RoutePath } from "../../src/protocol/names.ts";
import { Retention } from "../../src/server/retention.ts";
import { CorpusRetentionRepository } from "../../src/store/corpus-retention.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { get, patch, startSignedIn, type TestServer } from "./test-server.ts";

const USER = { email: "keeper@example.com", password: "keeper-password-1" };
const DAY_MS = 86_400_000;
const NOW = Date.parse("2026-11-24T12:00:00Z");
const book = new PriceBook();

describe.each(storeTargets())("usage retention per corpus on $name", (target) => {
  let server: TestServer;
  let token = "";
  let userId = "";

  const load = async (corpus: string, seed: number) => {
    // 30 days of traffic ending at NOW (record ids are unique per owner: a seed of its own per corpus)
    const workload = generateWorkload({ scenario: "saas", records: 600, days: 30, seed, start: new Date(NOW - 30 * DAY_MS), price: (r) => book.price(r).computed_cost_usd });
    const reader = await readUsageLines([...workload.records()].map((r) => JSON.stringify(r)), { format: "canonical" });
    await ingestUsage(reader, server.app.usage, { owner: userId, corpus, price: (r) => book.price(r) });
  };
  const oldest = async (corpus: string) => (await server.app.usage.describeCorpus(userId, corpus))?.period.from ?? null;
  const records = async (corpus: string) => (await server.app.usage.describeCorpus(userId, corpus))?.records ?? 0;
  const retention = (defaultDays: number) =>
    new Retention({
      db: server.app.database.db,
      runDays: 0,
      intervalMs: 60_000,
      usage: { store: server.app.usage, settings: new CorpusRetentionRepository(server.app.database.db), defaultDays, acrossNodes: target.name === "postgres" },
    });

  beforeAll(async () => {
    ({ server, token, userId } = await startSignedIn(target, USER));
    for (const [i, corpus] of ["short", "whole", "default"].entries()) await load(corpus, 40 + i);
  });

  afterAll(async () => {
    await server.stop();
  });

  it("keeps each corpus's own number of days, the default for the others, and everything where the setting is 0", async () => {
    const before = { short: await records("short"), whole: await records("whole"), default: await records("default") };
    const set = await patch(server.url + RoutePath.CORPUS.replace(":corpus", "short"), { retention_days: 10 }, token);
    expect(set.status).toBe(200);
    expect((set.body.corpus as { retention_days: number }).retention_days).toBe(10);
    expect((await patch(server.url + RoutePath.CORPUS.replace(":corpus", "whole"), { retention_days: 0 }, token)).status).toBe(200);

    // no default: only the corpus with its own setting loses records
    expect(await retention(0).pruneUsage(NOW)).toMatchObject({ corpora: 1 });
    expect(Date.parse((await oldest("short"))!)).toBeGreaterThanOrEqual(NOW - 10 * DAY_MS);
    expect(await records("short")).toBeLessThan(before.short);
    expect(await records("whole")).toBe(before.whole);
    expect(await records("default")).toBe(before.default);

    // a default of 20 days reaches the corpus without a setting, never the one set to keep everything
    await retention(20).pruneUsage(NOW);
    expect(Date.parse((await oldest("default"))!)).toBeGreaterThanOrEqual(NOW - 20 * DAY_MS);
    expect(await records("default")).toBeLessThan(before.default);
    expect(await records("whole")).toBe(before.whole);
  });

  it("refuses a retention outside 0..36500 days and keeps the setting across a rename", async () => {
    expect((await patch(server.url + RoutePath.CORPUS.replace(":corpus", "short"), { retention_days: -1 }, token)).status).toBe(400);
    const renamed = await patch(server.url + RoutePath.CORPUS.replace(":corpus", "short"), { name: "brief" }, token);
    expect((renamed.body.corpus as { retention_days: number }).retention_days).toBe(10);
    const cleared = await patch(server.url + RoutePath.CORPUS.replace(":corpus", "brief"), { retention_days: null }, token);
    expect((cleared.body.corpus as { retention_days: number | null }).retention_days).toBeNull();
    // A rename and a new retention in one request: the setting lands on the new name; a taken name changes nothing.
    const both = await patch(server.url + RoutePath.CORPUS.replace(":corpus", "brief"), { name: "short", retention_days: 45 }, token);
    expect(both.body.corpus).toMatchObject({ corpus: "short", retention_days: 45 });
    const refused = await patch(server.url + RoutePath.CORPUS.replace(":corpus", "short"), { name: "whole", retention_days: 5 }, token);
    expect(refused.status).toBe(409);
    expect((await get(server.url + RoutePath.CORPUS.replace(":corpus", "short"), token)).body.corpus).toMatchObject({ retention_days: 45 });
  });
});
