// Per-tier quotas on a real server (PGlite always, PostgreSQL when DATABASE_URL is set), with small limits set through
// the env: the run past the runs-per-hour quota is refused over the socket with `quota_exceeded` saying when it resets,
// and stores nothing; the ingest that reaches the records-per-day quota stops there (429, keeping what fit), and the
// next is refused before reading, for demo data and uploads alike; `GET /api/quotas` shows limits and use; a higher
// tier (an admin's change) lifts the limit. (test/server/ingest-quota.test.ts has the parallel and partial cases.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientCommand, ControlFrame, EnvVar, ErrorCode, Role, RoutePath, Tier } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { get, patch, post, startSignedIn, type Reply, type TestServer } from "./test-server.ts";
import { TestClient, type Frame } from "./ws-client.ts";

const USER = { email: "quota@example.com", password: "quota-password-1" };
const ADMIN = { email: "admin@example.com", password: "admin-password-1" };
const RUNS_PER_HOUR = 2;
const RECORDS_PER_DAY = 150;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface QuotaStatus {
  limit: number | null;
  used: number;
  remaining: number | null;
  window_seconds: number;
  resets_at: string | null;
}

/** The reset time a quota_exceeded message names, checked to be said both as an ISO time and in minutes. */
function resetIn(message: string): Date {
  const match = /resets at (\S+) \(in (\d+) minutes?\)/.exec(message);
  expect(match, message).not.toBeNull();
  const at = new Date(match![1]!);
  expect(Math.abs(at.getTime() - Date.now() - Number(match![2]) * 60_000)).toBeLessThan(60_000);
  return at;
}

describe.each(storeTargets())("quotas on $name", (target) => {
  let server: TestServer;
  let token = "";
  let userId = "";
  const quotas = async () => (await get(server.url + RoutePath.QUOTAS, token)).body as { tier: string; runs_per_hour: QuotaStatus; records_per_day: QuotaStatus };

  beforeAll(async () => {
    ({ server, token, userId } = await startSignedIn(target, USER, {
      [EnvVar.QUOTA_FREE_RUNS_PER_HOUR]: String(RUNS_PER_HOUR),
      [EnvVar.QUOTA_FREE_RECORDS_PER_DAY]: String(RECORDS_PER_DAY),
      [EnvVar.QUOTA_PRO_RUNS_PER_HOUR]: "0",
    }));
    await server.app.auth.createUser(ADMIN.email, ADMIN.password, Role.ADMIN);
  });
  afterAll(async () => {
    await server.stop();
  });

  it("shows the caller's limits and an unused quota", async () => {
    expect(await quotas()).toEqual({
      tier: Tier.FREE,
      runs_per_hour: { limit: RUNS_PER_HOUR, used: 0, remaining: RUNS_PER_HOUR, window_seconds: 3600, resets_at: null },
      records_per_day: { limit: RECORDS_PER_DAY, used: 0, remaining: RECORDS_PER_DAY, window_seconds: 86_400, resets_at: null },
    });
    expect((await get(server.url + RoutePath.QUOTAS)).status).toBe(401);
  });

  it("refuses the run past the hourly quota with quota_exceeded and its reset time, until the tier is raised", async () => {
    const client = TestClient.open(server.url, token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    const ask = async (id: string): Promise<Frame> => {
      client.send({ type: ClientCommand.USER_MESSAGE, id, text: "Where can I cut my LLM costs?" });
      return client.next((f) => f.id === id);
    };
    for (const id of ["one", "two"]) {
      const ack = await ask(id);
      expect(ack.type).toBe(ControlFrame.ACK);
      await client.runToEnd(String(ack.run_id));
    }
    const threadsBefore = ((await get(server.url + RoutePath.THREADS, token)).body.threads as unknown[]).length;
    const refused = await ask("three");
    expect(refused).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.QUOTA_EXCEEDED });
    const message = String(refused.message);
    expect(message).toContain(`${RUNS_PER_HOUR} runs per hour`);
    const resetsAt = resetIn(message);
    expect(((await get(server.url + RoutePath.THREADS, token)).body.threads as unknown[]).length).toBe(threadsBefore); // nothing stored

    const use = (await quotas()).runs_per_hour;
    expect(use).toMatchObject({ limit: RUNS_PER_HOUR, used: RUNS_PER_HOUR, remaining: 0 });
    // The first run ages out of the sliding hour first: that is when a run is possible again.
    expect(resetsAt.toISOString()).toBe(use.resets_at);
    expect(resetsAt.getTime() - Date.now()).toBeGreaterThan(HOUR_MS - 10 * 60_000);

    const adminToken = String((await post(server.url + RoutePath.AUTH_LOGIN, ADMIN)).body.token);
    expect((await patch(server.url + RoutePath.ADMIN_USER.replace(":user_id", userId), { tier: Tier.PRO }, adminToken)).status).toBe(200);
    const four = await ask("four");
    expect(four.type).toBe(ControlFrame.ACK); // the pro tier has no run limit here
    await client.runToEnd(String(four.run_id));
    expect((await quotas()).runs_per_hour).toMatchObject({ limit: null, remaining: null, used: RUNS_PER_HOUR + 1 });
    client.socket.terminate();
  });

  it("refuses an ingest once the day's records are used, for demo data and uploads, saying when it resets", async () => {
    const adminToken = String((await post(server.url + RoutePath.AUTH_LOGIN, ADMIN)).body.token);
    expect((await patch(server.url + RoutePath.ADMIN_USER.replace(":user_id", userId), { tier: Tier.FREE }, adminToken)).status).toBe(200);
    const first = await post(server.url + RoutePath.USAGE_DEMO, { records: 100, seed: 1 }, token);
    expect(first.status).toBe(200);
    expect((await quotas()).records_per_day).toMatchObject({ used: first.body.ingested, remaining: RECORDS_PER_DAY - Number(first.body.ingested) });
    // Under the limit when it starts: the ingest that reaches it keeps what fits and stops there.
    const second = await post(server.url + RoutePath.USAGE_DEMO, { records: 100, seed: 2 }, token);
    expect(second.status).toBe(429);
    const stopped = second.body.error as { code: string; message: string };
    expect(stopped.code).toBe(ErrorCode.QUOTA_EXCEEDED);
    const used = RECORDS_PER_DAY;
    expect(stopped.message).toContain(`${used - Number(first.body.ingested)} records of this upload were kept in dataset "demo", now marked partial`);
    resetIn(stopped.message);

    const refused: Reply = await post(server.url + RoutePath.USAGE_DEMO, { records: 10, seed: 3 }, token);
    expect(refused.status).toBe(429);
    const error = refused.body.error as { code: string; message: string };
    expect(error.code).toBe(ErrorCode.QUOTA_EXCEEDED);
    expect(error.message).toContain(`${RECORDS_PER_DAY} records ingested per day`);
    const resetsAt = resetIn(error.message);
    expect(resetsAt.getTime() - Date.now()).toBeGreaterThan(DAY_MS - 10 * 60_000);

    const upload = await fetch(`${server.url}${RoutePath.USAGE}?format=canonical`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
      body: `${JSON.stringify({ id: "r1", timestamp: "2026-01-01T00:00:00Z", model: "gpt-4o", input_tokens: 1, output_tokens: 1 })}\n`,
    });
    expect(upload.status).toBe(429);
    expect(((await upload.json()) as { error: { code: string } }).error.code).toBe(ErrorCode.QUOTA_EXCEEDED);

    expect((await quotas()).records_per_day).toEqual({ limit: RECORDS_PER_DAY, used, remaining: 0, window_seconds: 86_400, resets_at: expect.any(String) });
    const summary = await get(server.url + RoutePath.USAGE_SUMMARY, token);
    expect(summary.body.records).toBe(used); // the refused ingests read nothing
  });
});
