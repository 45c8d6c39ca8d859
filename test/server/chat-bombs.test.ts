// Issue 13, finding 2 on a real server (PGlite always, PostgreSQL + Redis when DATABASE_URL is set): one user's heavy
// request must not stall everyone. `/health` answers within 100 ms (p99) while the user sends a 20,000-character message
// against 5,000 distinct names of their own data or a synthetic-data request padded with 19,900 digits; loading the demo
// data keeps it within the known shortfall (the bar is not met there yet); each of them ends normally.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PricedUsageRecord } from "../../src/analytics/record.ts";
import { EventType, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { HEALTH_P99_BAR_MS, KNOWN_SHORTFALL_P99_MS, probeWhile } from "./health-probe.ts";
import { runOverSocket } from "./socket-run.ts";
import { post, startSignedIn, type TestServer } from "./test-server.ts";

const USER = { email: "bomber@example.com", password: "bomber-password-1" };
const NAMES = 5_000;
/** As large a demo load as a test affords on a shared 2-core machine (the route allows 200,000). */
const DEMO_RECORDS = 50_000;

let seed = 2026;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const word = (length: number) => Array.from({ length }, () => "abcdefghijklmnopqrstuvwxyz"[Math.floor(random() * 26)]).join("");

/** One record per distinct feature and model name, as a user with thousands of each would have. */
function distinctNames(): PricedUsageRecord[] {
  return Array.from({ length: NAMES }, (_, i) => ({
    id: `bomb-${i}`,
    timestamp: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    model: `${word(5)}-${word(4)}-${i}`,
    feature: `${word(7)}_${word(6)}_${i}`,
    input_tokens: 100 + i,
    output_tokens: 10,
    status: "success",
    num_requests: 1,
    computed_cost_usd: 0.001,
    cost_mismatch: false,
  }));
}

function randomWords(chars: number): string {
  let text = "";
  while (text.length < chars) text += `${word(3 + Math.floor(random() * 6))} `;
  return text.slice(0, chars);
}

describe.each(storeTargets())("chat bombs on $name", (target) => {
  let server: TestServer;
  let token = "";

  beforeAll(async () => {
    let userId: string;
    ({ server, token, userId } = await startSignedIn(target, USER));
    const records = distinctNames();
    for (let start = 0; start < records.length; start += 1_000) await server.app.usage.insert(userId, "default", records.slice(start, start + 1_000));
  });
  afterAll(async () => {
    await server.stop();
  });

  async function runProbed(text: string) {
    const { outcome, health } = await probeWhile(server.url, async () => {
      const { client, events } = await runOverSocket(server.url, token, text);
      client.socket.terminate();
      return events;
    });
    if (!outcome.ok) throw outcome.error;
    return { events: outcome.value, health };
  }

  it("matches a 20,000-character message against 5,000 distinct names without stalling /health", async () => {
    const { events, health } = await runProbed(randomWords(20_000));
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(health.samples).toBeGreaterThan(0);
    expect(health.p99_ms, JSON.stringify(health)).toBeLessThan(HEALTH_P99_BAR_MS);
  });

  it("reads a synthetic-data request padded with 19,900 digits without stalling /health", async () => {
    const { events, health } = await runProbed(`generate synthetic data ${"7".repeat(19_900)}`);
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(health.p99_ms, JSON.stringify(health)).toBeLessThan(HEALTH_P99_BAR_MS);
  });

  it(`loads ${DEMO_RECORDS.toLocaleString("en-US")} demo records without stalling /health`, { timeout: 180_000 }, async () => {
    const { outcome, health } = await probeWhile(server.url, () => post(server.url + RoutePath.USAGE_DEMO, { records: DEMO_RECORDS, seed: 3 }, token));
    if (!outcome.ok) throw outcome.error;
    expect(outcome.value.status).toBe(200);
    expect(outcome.value.body).toMatchObject({ ingested: DEMO_RECORDS, rejected: 0 });
    expect(health.p99_ms, JSON.stringify(health)).toBeLessThan(KNOWN_SHORTFALL_P99_MS);
  });
});
