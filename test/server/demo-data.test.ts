// `POST /api/usage/demo` on a real server (PGlite always, PostgreSQL when DATABASE_URL is set): the planted-waste
// dataset lands in the caller's own store, in its own corpus, through the upload's ingest; another user sees nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { get, post, startSignedIn, type Reply, type TestServer } from "./test-server.ts";

const ALICE = { email: "alice@example.com", password: "alice-password-1" };
const BOB = { email: "bob@example.com", password: "bob-password-1" };
const codeOf = (reply: Reply) => (reply.body.error as { code: string } | undefined)?.code;

describe.each(storeTargets())("demo data on $name", (target) => {
  let server: TestServer;
  let alice = "";
  let bob = "";

  beforeAll(async () => {
    ({ server, token: alice } = await startSignedIn(target, ALICE));
    await server.app.auth.createUser(BOB.email, BOB.password);
    bob = String((await post(server.url + RoutePath.AUTH_LOGIN, BOB)).body.token);
  });
  afterAll(async () => {
    await server.stop();
  });

  it("loads the saas scenario into the caller's store only", async () => {
    const loaded = await post(server.url + RoutePath.USAGE_DEMO, { records: 3000, seed: 11 }, alice);
    expect(loaded.status).toBe(200);
    expect(loaded.body).toMatchObject({ scenario: "saas", seed: 11, corpus: "demo", format: "canonical", records_read: 3000, ingested: 3000, rejected: 0 });
    expect(loaded.body.unpriced_records).toBe(0);

    const summary = await get(server.url + RoutePath.USAGE_SUMMARY, alice);
    expect(summary.body.records).toBe(3000);
    expect(summary.body.corpora).toEqual([expect.objectContaining({ corpus: "demo" })]);
    expect(Number(summary.body.cost_usd)).toBeGreaterThan(0);
    // The period ends about now, so "last week" in a question means the data's last week.
    const period = summary.body.period as { to: string };
    expect(Date.now() - Date.parse(period.to)).toBeLessThan(2 * 86_400_000);

    const other = await get(server.url + RoutePath.USAGE_SUMMARY, bob);
    expect(other.status).toBe(200);
    expect(other.body.records).toBe(0);
    expect(other.body.corpora).toEqual([]);
  });

  it("adds nothing when the same seed is loaded again, like a second upload of the same file", async () => {
    const again = await post(server.url + RoutePath.USAGE_DEMO, { records: 3000, seed: 11 }, alice);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ ingested: 0, duplicates: 3000 });
    expect((await get(server.url + RoutePath.USAGE_SUMMARY, alice)).body.records).toBe(3000);
  });

  it("makes the default size with a random seed when the body is empty", async () => {
    const response = await fetch(server.url + RoutePath.USAGE_DEMO, { method: "POST", headers: { authorization: `Bearer ${bob}` } });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ scenario: "saas", ingested: 20_000, seed: expect.any(Number) });
    expect((await get(server.url + RoutePath.USAGE_SUMMARY, bob)).body.records).toBe(20_000);
  });

  it("refuses an anonymous caller and a size out of range", async () => {
    const anonymous = await post(server.url + RoutePath.USAGE_DEMO, {});
    expect(anonymous.status).toBe(401);
    expect(codeOf(anonymous)).toBe(ErrorCode.UNAUTHORIZED);
    for (const body of [{ records: 0 }, { records: 10_000_000 }, { records: "many" }, { seed: -1 }]) {
      const refused = await post(server.url + RoutePath.USAGE_DEMO, body, alice);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(codeOf(refused)).toBe(ErrorCode.INVALID_REQUEST);
    }
  });
});
