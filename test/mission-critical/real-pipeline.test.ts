import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { APEX_AGENTS, registerApexAgents } from "../../src/agents/catalog.ts";
import { generateWorkload } from "../../src/analytics/generator/workload.ts";
import { ingestUsage } from "../../src/analytics/ingest.ts";
import { openUsageStore } from "../../src/analytics/open-usage-store.ts";
import { readUsageLines } from "../../src/analytics/read-usage.ts";
import type { UsageRecord } from "../../src/analytics/record.ts";
import type { UsageStore } from "../../src/analytics/store.ts";
import { createOfflineProvider } from "../../src/llm/offline.ts";
import { OpenAiProvider } from "../../src/llm/openai.ts";
import { fixture, ROUTES, startRecordedServer, type RecordedReply } from "../../src/llm/recorded-server.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { AgentName, EventType, MISSION_CRITICAL_EVENTS, PIPELINE } from "../../src/protocol/names.ts";
import { ReportSchema, type Report } from "../../src/protocol/report.ts";
import type { Agent } from "../../src/runtime/agent.ts";
import { ExecutionEngineFactory } from "../../src/runtime/engine-factory.ts";
import { MemoryEventSink } from "../../src/runtime/event-sink.ts";
import { Registry } from "../../src/runtime/registry.ts";
import type { AnyTool } from "../../src/runtime/tool.ts";
import { registerApexTools } from "../../src/tools/catalog.ts";
import type { ApexServices } from "../../src/tools/services.ts";
import { checkRunInvariants } from "./invariants.ts";

// The REAL agents and tools through the factory, over a generated workload ingested into DuckDB :memory:. The
// invariants of protocol.md must hold for them as for the suite's own agents, and their numbers must match
// figures computed here, independently, from the records themselves.

const DAY_MS = 86_400_000;
const OWNER = "alice";
const EMPTY_OWNER = "bob";
const book = new PriceBook();

/** The cost the store bills a record: recomputed when priced, else the source's own figure. */
const costOf = (r: UsageRecord): number => book.price(r).computed_cost_usd ?? r.cost_usd ?? 0;

interface World {
  records: UsageRecord[];
  store: UsageStore;
  factory: ExecutionEngineFactory<ApexServices>;
  sink: MemoryEventSink;
}

async function buildWorld(): Promise<World> {
  const workload = generateWorkload({ scenario: "saas", records: 4000, days: 21, seed: 17, price: (r) => book.price(r).computed_cost_usd });
  const records = [...workload.records()];
  const store = await openUsageStore({ path: ":memory:" });
  const reader = await readUsageLines(records.map((r) => JSON.stringify(r)), { format: "canonical" });
  const summary = await ingestUsage(reader, store, { owner: OWNER, corpus: "default", price: (r) => book.price(r) });
  if (summary.ingested !== records.length) throw new Error(`ingested ${summary.ingested} of ${records.length} records`);
  const agents = registerApexAgents(new Registry<Agent<ApexServices>>("agent"));
  const tools = registerApexTools(new Registry<AnyTool<ApexServices>>("tool"));
  const sink = new MemoryEventSink();
  const factory = new ExecutionEngineFactory<ApexServices>({ agents, tools, sink, services: { usage: store, prices: book, llm: createOfflineProvider() } });
  return { records, store, factory, sink };
}

const world = buildWorld();
afterAll(async () => {
  await (await world).store.close();
});

async function run(userId: string, request: string): Promise<{ events: readonly RunEvent[]; report: Report; status: string }> {
  const { factory, sink } = await world;
  const handle = factory.start({ userId, threadId: `thread-${userId}`, request });
  const outcome = await handle.done;
  const events = sink.events(handle.runId, userId);
  const final = events.find((e) => e.type === EventType.FINAL_REPORT);
  if (final?.type !== EventType.FINAL_REPORT) throw new Error(`no final_report (${outcome.status}: ${outcome.error?.message})`);
  return { events, report: ReportSchema.parse(final.data.report), status: outcome.status };
}

function agentsStarted(events: readonly RunEvent[]): string[] {
  return events.filter((e) => e.type === EventType.AGENT_STARTED).map((e) => e.agent_name ?? "");
}

function expectCriticalEvents(events: readonly RunEvent[], agents: readonly string[]): void {
  for (const agent of agents) {
    const types = events.filter((e) => e.agent_name === agent).map((e) => e.type);
    for (const type of MISSION_CRITICAL_EVENTS) expect(types, `${agent} emitted ${types.join(",")}`).toContain(type);
    expect(types.at(-1)).toBe(EventType.AGENT_COMPLETED);
  }
}

describe("the real Apex pipeline", () => {
  it("registers one agent for every step of the canonical pipeline", () => {
    expect(APEX_AGENTS.map((a) => a.name)).toEqual([...PIPELINE]);
    expect(APEX_AGENTS.every((a) => a.description.length > 0)).toBe(true);
  });

  it("finds evidence-backed savings on a generated workload, with every invariant holding", async () => {
    const { records } = await world;
    const { events, report, status } = await run(OWNER, "Where can I cut my LLM costs?");
    expect(status).toBe("completed");
    expect(checkRunInvariants(events)).toEqual([]);
    const expectedAgents = PIPELINE.filter((a) => a !== AgentName.DATA_GUIDE && a !== AgentName.SYNTHETIC_DATA && a !== AgentName.CORPUS_ADMIN);
    expect(agentsStarted(events)).toEqual(expectedAgents);
    expectCriticalEvents(events, expectedAgents);

    const failedTools = events.flatMap((e) => (e.type === EventType.TOOL_COMPLETED && !e.data.ok ? [`${e.data.tool_name}: ${e.data.error?.message}`] : []));
    expect(failedTools).toEqual([]);
    expect(report.totals.calls).toBe(records.reduce((s, r) => s + r.num_requests, 0));
    expect(report.totals.cost_usd).toBeCloseTo(records.reduce((s, r) => s + costOf(r), 0), 6);
    expect(report.breakdowns.by_model.reduce((s, r) => s + r.cost_usd, 0)).toBeCloseTo(report.totals.cost_usd, 6);
    expect(report.opportunities.length).toBeGreaterThan(0);
    const ids = new Set(records.map((r) => r.id));
    for (const o of report.opportunities) {
      expect(o.evidence.example_record_ids.length).toBeGreaterThan(0);
      for (const id of o.evidence.example_record_ids) expect(ids.has(id), `${o.kind} cites ${id}`).toBe(true);
      expect(o.actions.length).toBeGreaterThan(0);
    }
    const savings = report.opportunities.map((o) => o.est_monthly_savings_usd);
    expect(savings).toEqual([...savings].sort((a, b) => b - a));
    expect(report.total_est_monthly_savings_usd).toBeCloseTo(savings.reduce((s, x) => s + x, 0), 9);
    expect(report.action_plan.map((s) => s.expected_savings_usd)).toEqual(savings);
    expect(report.executive_summary).toContain(`${report.opportunities.length} opportunities`);
  });

  it("answers 'what did the support_chat feature cost last week?' with the number computed from the records", async () => {
    const { records } = await world;
    const { events, report } = await run(OWNER, "what did the support_chat feature cost last week?");
    expect(checkRunInvariants(events)).toEqual([]);
    // "last week" = the 7 days up to the end of the last day in the data (not the wall clock).
    const latest = Math.max(...records.map((r) => Date.parse(r.timestamp)));
    const to = Math.floor(latest / DAY_MS) * DAY_MS + DAY_MS;
    const from = to - 7 * DAY_MS;
    const inWeek = records.filter((r) => r.feature === "support_chat" && Date.parse(r.timestamp) >= from && Date.parse(r.timestamp) < to);
    const expected = inWeek.reduce((s, r) => s + costOf(r), 0);
    expect(inWeek.length).toBeGreaterThan(0);
    expect(report.totals.cost_usd).toBeCloseTo(expected, 6);
    expect(report.totals.calls).toBe(inWeek.reduce((s, r) => s + r.num_requests, 0));
    const dollars = `$${expected.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    expect(report.executive_summary.startsWith(`The support_chat feature cost ${dollars} from ${new Date(from).toISOString().slice(0, 10)}`)).toBe(true);
    const thoughts = events.flatMap((e) => (e.type === EventType.AGENT_THINKING && e.agent_name === AgentName.TRIAGE ? [e.data.thought] : []));
    expect(thoughts.some((t) => t.includes('"last week"') && t.includes("your log ends on"))).toBe(true);
  });

  it("with no usage data runs Triage → Data Guide → Report and says how to export the logs", async () => {
    const { events, report, status } = await run(EMPTY_OWNER, "Where can I cut my LLM costs?");
    expect(status).toBe("completed");
    expect(checkRunInvariants(events)).toEqual([]);
    expect(agentsStarted(events)).toEqual([AgentName.TRIAGE, AgentName.DATA_GUIDE, AgentName.REPORT]);
    expectCriticalEvents(events, [AgentName.TRIAGE, AgentName.DATA_GUIDE, AgentName.REPORT]);
    expect(report.totals.calls).toBe(0);
    expect(report.opportunities).toEqual([]);
    expect(report.executive_summary).toContain("no usage data");
    expect(report.executive_summary).toContain("apex ingest");
    expect(report.executive_summary).toMatch(/usage\/completions/);
    // The other account's data never shows up in this one's run.
    expect(JSON.stringify(events)).not.toContain("support_chat");
  });

  it("runs the Data Guide beside the analysis when a user with data asks how to add more", async () => {
    const { events } = await run(OWNER, "how do I export my logs from Langfuse?");
    expect(checkRunInvariants(events)).toEqual([]);
    expect(agentsStarted(events)).toEqual(PIPELINE.filter((a) => a !== AgentName.SYNTHETIC_DATA && a !== AgentName.CORPUS_ADMIN));
  });

  it("keeps every invariant when the run is cancelled in the middle of the analyses", async () => {
    const { factory, sink } = await world;
    const handle = factory.start({ userId: OWNER, threadId: "thread-cancel", request: "Where can I cut my LLM costs?" });
    const stop = sink.subscribe(OWNER, (event) => {
      if (event.run_id === handle.runId && event.type === EventType.TOOL_EXECUTING && event.agent_name === AgentName.OPTIMIZE) {
        factory.cancel(handle.runId, OWNER);
      }
    });
    const outcome = await handle.done;
    stop();
    const events = sink.events(handle.runId, OWNER);
    expect(outcome.status).toBe("cancelled");
    expect(checkRunInvariants(events)).toEqual([]);
    expect(events.at(-1)?.type).toBe(EventType.RUN_CANCELLED);
    expect(events.some((e) => e.type === EventType.FINAL_REPORT)).toBe(false);
  });

  it("rejects an empty request before any agent runs", async () => {
    const { factory } = await world;
    expect(() => factory.start({ userId: OWNER, threadId: "t", request: "   " })).toThrow(/empty/);
  });
});

// With an LLM configured: a real OpenAI-compatible HTTP server on 127.0.0.1 answers with recorded replies.
// Triage takes the model's structured reading only after checking it against the data; the report takes a rewrite
// only when its numbers are the computed ones; a failing model is said out loud and the rules carry on.

const KEY = "sk-proj-apexAgentsTest0123456789";
const MODEL = "gpt-4o-mini";
const LLM_OWNER = "carol";
const recorded = await startRecordedServer({ apiKey: KEY, models: [MODEL] });
afterAll(async () => {
  await recorded.close();
});
beforeEach(() => recorded.reset());

// Ten days of two features, so "last week" is a strict part of the log.
const lines = Array.from({ length: 40 }, (_, i) =>
  JSON.stringify({
    id: `rec-${i}`,
    timestamp: new Date(Date.UTC(2026, 0, 1 + (i % 10), 9 + (i % 7))).toISOString(),
    model: "gpt-4o-mini",
    input_tokens: 1000 + i * 10,
    output_tokens: 100 + i,
    feature: i % 2 === 0 ? "support_chat" : "kb_search",
  }),
);
// Carol's rows go into the same store as alice's: the owner scoping keeps them apart.
const carolIngested = world.then(async ({ store }) =>
  ingestUsage(await readUsageLines(lines, { format: "canonical" }), store, { owner: LLM_OWNER, corpus: "default", price: (r) => book.price(r) }),
);

async function llmFactory(): Promise<{ factory: ExecutionEngineFactory<ApexServices>; sink: MemoryEventSink }> {
  const { store } = await world;
  await carolIngested;
  const llm = new OpenAiProvider({ model: MODEL, baseURL: `${recorded.url}/v1`, apiKey: KEY, policy: { retry: { maxAttempts: 1 } } });
  const sink = new MemoryEventSink();
  const agents = registerApexAgents(new Registry<Agent<ApexServices>>("agent"));
  const tools = registerApexTools(new Registry<AnyTool<ApexServices>>("tool"));
  return { factory: new ExecutionEngineFactory<ApexServices>({ agents, tools, sink, services: { usage: store, prices: book, llm } }), sink };
}

function chat(content: string): RecordedReply {
  const base = fixture("openai-chat-text");
  const body = base.body as { choices: { message: { content: string } }[] };
  return { ...base, body: { ...body, choices: body.choices.map((c) => ({ ...c, message: { ...c.message, content } })) } };
}

async function runWithLlm(request: string) {
  const { factory: f, sink } = await llmFactory();
  const handle = f.start({ userId: LLM_OWNER, threadId: "t", request });
  const outcome = await handle.done;
  const events = sink.events(handle.runId, LLM_OWNER);
  const thoughts = (agent: string) => events.flatMap((e) => (e.type === EventType.AGENT_THINKING && e.agent_name === agent ? [e.data.thought] : []));
  const final = events.find((e) => e.type === EventType.FINAL_REPORT);
  if (final?.type !== EventType.FINAL_REPORT) throw new Error(`no report: ${outcome.error?.message}`);
  return { outcome, thoughts, report: ReportSchema.parse(final.data.report) };
}

const LLM_QUESTION = "what did the support chat thing cost last week?";
const weekCost = lines
  .map((l) => JSON.parse(l) as { timestamp: string; feature: string; model: string; input_tokens: number; output_tokens: number })
  .filter((r) => r.feature === "support_chat" && r.timestamp >= "2026-01-04")
  .reduce((s, r) => s + (book.price(r).computed_cost_usd ?? 0), 0);

describe("agents with an LLM", () => {
  it("use the model's structured reading, checked against the data, and its number-faithful rewrite", async () => {
    recorded.reply(
      ROUTES.openaiChat,
      chat(JSON.stringify({ intent: "spend_question", time_phrase: "last week", models: [], features: ["support chat", "billing_bot"], users: [], budget_cut_pct: null })),
      chat("Nearly all of this spend sits in one feature; the breakdowns below show where it goes."),
    );
    const { outcome, thoughts, report } = await runWithLlm(LLM_QUESTION);
    expect(outcome.status).toBe("completed");
    expect(thoughts(AgentName.TRIAGE).join("\n")).toContain(`Asking openai (${MODEL})`);
    expect(thoughts(AgentName.TRIAGE).join("\n")).toContain("1 name the model gave are not in your data");
    expect(report.totals.cost_usd).toBeCloseTo(weekCost, 9);
    expect(report.executive_summary).toMatch(/^The support_chat feature cost \$\S+ from 2026-01-04 to 2026-01-10 \("last week"\)/);
    expect(report.executive_summary).toContain("Nearly all of this spend sits in one feature");
    const sent = recorded.requests[0]?.body as { response_format?: { type: string } };
    expect(sent.response_format?.type).toBe("json_schema");
  });

  it("keep the computed summary when the model's rewrite brings numbers of its own", async () => {
    recorded.reply(
      ROUTES.openaiChat,
      chat(JSON.stringify({ intent: "find_savings", time_phrase: null, models: [], features: [], users: [], budget_cut_pct: null })),
      chat("You could save $98,765 a month by switching everything."),
    );
    const { thoughts, report } = await runWithLlm("where can I save?");
    expect(report.executive_summary).not.toContain("98,765");
    expect(report.executive_summary).toContain("you spent");
    expect(thoughts(AgentName.REPORT).join("\n")).toContain("numbers that are not in the results (98765)");
  });

  it("say so when the model fails, and finish by rules", async () => {
    recorded.reply(ROUTES.openaiChat, fixture("openai-error-500"), fixture("openai-error-500"));
    const { outcome, thoughts, report } = await runWithLlm(LLM_QUESTION);
    expect(outcome.status).toBe("completed");
    expect(thoughts(AgentName.TRIAGE).some((t) => t.startsWith(`The LLM openai (${MODEL}) failed`))).toBe(true);
    expect(thoughts(AgentName.REPORT).some((t) => t.startsWith(`The LLM openai (${MODEL}) failed`))).toBe(true);
    expect(report.totals.cost_usd).toBeCloseTo(weekCost, 9);
    expect(report.executive_summary).toMatch(/^The support_chat feature cost/);
  });
});
