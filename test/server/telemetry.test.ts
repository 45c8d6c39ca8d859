// One real run over a real socket, its LLM a recorded OpenAI-compatible server: the spans read from an in-memory
// exporter form the tree of issue 9 (run → agents in order → their tool calls and chat calls), share the trace id
// every event of the run carries, and /metrics then shows tool durations, the LLM's tokens and cost, and the ingest.
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { fixture, ROUTES, startRecordedServer, type RecordedServer } from "../../src/llm/recorded-server.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { EnvVar, EventType, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { TEST_MODEL } from "./cluster-node.ts";
import { sample, sumOf } from "./metrics-text.ts";
import { post, startSignedIn, type TestServer } from "./test-server.ts";
import { runOverSocket } from "./socket-run.ts";

const USER = { email: "telemetry@example.com", password: "telemetry-password-1" };
/** The model the recorded replies name (the request asks for TEST_MODEL; the server answers with its snapshot). */
const ANSWERING_MODEL = "gpt-4o-mini-2024-07-18";

describe.each(storeTargets())("telemetry of one run on $name", (target) => {
  const exporter = new InMemorySpanExporter();
  let llm: RecordedServer;
  let server: TestServer;
  let events: RunEvent[] = [];
  let spans: ReadableSpan[] = [];

  beforeAll(async () => {
    llm = await startRecordedServer({ apiKey: null, models: [TEST_MODEL] });
    llm.reply(ROUTES.openaiChat, ...Array.from({ length: 10 }, () => fixture("openai-chat-text")));
    const env = { [EnvVar.LLM_PROVIDER]: "openai", [EnvVar.LLM_BASE_URL]: `${llm.url}/v1`, [EnvVar.LLM_MODEL]: TEST_MODEL };
    let token: string;
    ({ server, token } = await startSignedIn(target, USER, env, { spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    // The demo data goes through the one ingest path, so the ingest counters move too.
    expect((await post(server.url + RoutePath.USAGE_DEMO, { records: 300, seed: 5 }, token)).status).toBe(200);

    const run = await runOverSocket(server.url, token, "Where can I cut my LLM costs?");
    events = run.events;
    await run.client.close();
    // The root span ends once the engine returns, just after the terminal event went out.
    await vi.waitFor(() => expect(exporter.getFinishedSpans().some((s) => s.parentSpanContext === undefined)).toBe(true));
    spans = exporter.getFinishedSpans();
  });

  afterAll(async () => {
    await server?.stop();
    await llm?.close();
  });

  const childrenOf = (parent: ReadableSpan) => spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
  const byStart = (a: ReadableSpan, b: ReadableSpan) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1];

  it("makes one trace per run, and every event of the run carries its id", () => {
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    const roots = spans.filter((s) => s.parentSpanContext === undefined);
    expect(roots.map((s) => s.name)).toEqual(["invoke_workflow apex"]);
    const traceId = roots[0]!.spanContext().traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(events.map((e) => e.trace_id))).toEqual(new Set([traceId]));
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
    expect(roots[0]!.attributes["apex.run.id"]).toBe(events[0]!.run_id);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(USER.email);
  });

  it("nests an invoke_agent span per agent, in run order, under the run", () => {
    const root = spans.find((s) => s.parentSpanContext === undefined)!;
    const agents = childrenOf(root).sort(byStart);
    const started = events.filter((e) => e.type === EventType.AGENT_STARTED).map((e) => e.agent_name);
    expect(agents.map((s) => s.attributes["gen_ai.agent.name"])).toEqual(started);
    expect(agents.map((s) => s.name)).toEqual(started.map((name) => `invoke_agent ${name}`));
    expect(agents.every((s) => s.attributes["gen_ai.operation.name"] === "invoke_agent")).toBe(true);
  });

  it("puts each tool call under the agent that made it, one execute_tool span per tool_executing event", () => {
    const executing = events.filter((e) => e.type === EventType.TOOL_EXECUTING);
    const tools = spans.filter((s) => s.name.startsWith("execute_tool "));
    expect(executing.length).toBeGreaterThan(0);
    expect(tools).toHaveLength(executing.length);
    expect(new Set(tools.map((s) => s.attributes["gen_ai.tool.call.id"]))).toEqual(new Set(executing.map((e) => e.data.tool_call_id)));
    for (const tool of tools) {
      const parent = spans.find((s) => s.spanContext().spanId === tool.parentSpanContext?.spanId);
      expect(parent?.name).toBe(`invoke_agent ${String(tool.attributes["gen_ai.agent.name"])}`);
      expect(tool.name).toBe(`execute_tool ${String(tool.attributes["gen_ai.tool.name"])}`);
    }
  });

  it("records the LLM calls as chat spans with gen_ai attributes under the agents", () => {
    const chats = spans.filter((s) => s.name.startsWith("chat "));
    expect(chats.length).toBe(llm.requests.filter((r) => r.route === ROUTES.openaiChat).length);
    expect(chats.length).toBeGreaterThan(0);
    for (const chat of chats) {
      const parent = spans.find((s) => s.spanContext().spanId === chat.parentSpanContext?.spanId);
      expect(parent?.name).toMatch(/^invoke_agent /);
      expect(chat.name).toBe(`chat ${TEST_MODEL}`);
      expect(chat.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": TEST_MODEL,
      });
    }
    // The summary rewrite is a free-text call the recorded reply answers: its usage is on the span.
    expect(chats.some((s) => s.attributes["gen_ai.usage.input_tokens"] === 1860 && s.attributes["gen_ai.usage.output_tokens"] === 24)).toBe(true);
    expect(chats.some((s) => s.attributes["gen_ai.response.model"] === ANSWERING_MODEL)).toBe(true);
  });

  it("exposes tool durations, the LLM's tokens and cost, and the ingested records at /metrics", async () => {
    await server.app.log.close(); // every committed batch observed before scraping
    const text = await (await fetch(server.url + RoutePath.METRICS)).text();
    const completed = events.filter((e) => e.type === EventType.TOOL_COMPLETED);
    expect(sumOf(text, "apex_tool_duration_seconds_count")).toBe(completed.length);
    const first = completed[0]!;
    expect(first.type === EventType.TOOL_COMPLETED && first.data.ok).toBe(true);
    if (first.type === EventType.TOOL_COMPLETED) {
      expect(sample(text, `apex_tool_duration_seconds_count{tool="${first.data.tool_name}",ok="true"}`)).toBeGreaterThan(0);
    }
    const labels = `provider="openai",model="${ANSWERING_MODEL}"`;
    const answered = sample(text, `apex_llm_calls_total{${labels}}`) ?? 0;
    expect(answered).toBeGreaterThan(0);
    expect(sample(text, `apex_llm_tokens_total{${labels},token_type="input"}`)).toBe(1860 * answered);
    expect(sample(text, `apex_llm_tokens_total{${labels},token_type="output"}`)).toBe(24 * answered);
    expect(text).toMatch(/^apex_llm_cost_usd_total/m);
    expect(sample(text, `apex_usage_records_total{format="canonical",result="ingested"}`)).toBe(300);
    expect(sample(text, `apex_usage_records_total{format="canonical",result="rejected"}`)).toBe(0);
  });
});
