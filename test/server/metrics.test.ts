// GET /metrics after a real run over a real socket: the families of issue 6 (runs, events, connections, fan-out lag,
// event-log batches, per-agent durations) are exposed and agree with the run the test just watched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateWorkload } from "../../src/analytics/generator/workload.ts";
import { ingestUsage } from "../../src/analytics/ingest.ts";
import { readUsageLines } from "../../src/analytics/read-usage.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import { EventType, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { sample, sumOf } from "./metrics-text.ts";
import { startSignedIn, type TestServer } from "./test-server.ts";
import { runOverSocket } from "./socket-run.ts";

const USER = { email: "metrics@example.com", password: "metrics-password-1" };
const book = new PriceBook();

describe.each(storeTargets())("/metrics on $name", (target) => {
  let server: TestServer;
  let token = "";
  let userId = "";

  beforeAll(async () => {
    ({ server, token, userId } = await startSignedIn(target, USER));
    const workload = generateWorkload({ scenario: "saas", records: 300, days: 7, seed: 3, price: (r) => book.price(r).computed_cost_usd });
    const reader = await readUsageLines([...workload.records()].map((r) => JSON.stringify(r)), { format: "canonical" });
    await ingestUsage(reader, server.app.usage, { owner: userId, corpus: "default", price: (r) => book.price(r) });
  });

  afterAll(async () => {
    await server.stop();
  });

  it("counts the run, its events, its agents, the batches, the deliveries and the open socket", async () => {
    const { client, events } = await runOverSocket(server.url, token, "Where can I cut my LLM costs?");
    await server.app.log.close(); // every committed batch observed before scraping
    const response = await fetch(server.url + RoutePath.METRICS);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();

    expect(sample(text, "apex_runs_started_total")).toBe(1);
    expect(sample(text, `apex_runs_finished_total{outcome="${EventType.RUN_COMPLETED}"}`)).toBe(1);
    expect(sample(text, "apex_runs_in_flight")).toBe(0);
    expect(sample(text, "apex_ws_connections")).toBe(1);
    expect(sumOf(text, "apex_events_total")).toBe(events.length);
    expect(sample(text, `apex_events_total{type="${EventType.TOOL_EXECUTING}"}`)).toBe(events.filter((e) => e.type === EventType.TOOL_EXECUTING).length);
    expect(sample(text, "apex_event_log_batch_events_sum")).toBe(events.length);
    expect(sample(text, "apex_event_log_batch_events_count")).toBeGreaterThan(0);
    // the socket received every event through the bus, each one timed
    expect(sample(text, "apex_fanout_lag_seconds_count")).toBe(events.length);
    for (const agent of new Set(events.filter((e) => e.type === EventType.AGENT_COMPLETED).map((e) => e.agent_name))) {
      expect(sample(text, `apex_agent_duration_seconds_count{agent="${agent}",status="completed"}`)).toBe(1);
    }
    expect(sample(text, "apex_process_resident_memory_bytes")).toBeGreaterThan(0);
    await client.close();
  });
});
