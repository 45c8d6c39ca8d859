import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { AgentName, OpportunityKind } from "../../src/protocol/names.ts";
import type { Report } from "../../src/protocol/report.ts";
import type { Agent } from "../../src/runtime/agent.ts";
import { ExecutionEngineFactory, type ExecutionEngineFactoryOptions } from "../../src/runtime/engine-factory.ts";
import { MemoryEventSink, type EventSink } from "../../src/runtime/event-sink.ts";
import { Registry } from "../../src/runtime/registry.ts";
import { defineTool, type AnyTool } from "../../src/runtime/tool.ts";

// Agents and tools written for the mission-critical suite. They do real work on their inputs (parse the request,
// price calls, find the cheaper model, rank actions, write the report) so a wrong hand-off between agents shows up in
// the numbers, not only in the event shapes.

/** Per-token prices for the suite's own small catalogue (USD per 1M tokens: input, output). */
const SUITE_PRICES: Readonly<Record<string, readonly [number, number]>> = {
  "big-model": [10, 30],
  "mid-model": [3, 15],
  "small-model": [0.15, 0.6],
};
const CHEAPEST = "small-model";
/** The suite's default tool timeout, short so that hanging tools time out quickly. */
const SUITE_TOOL_TIMEOUT_MS = 200;

const CallSchema = z.object({ model: z.string(), input: z.number().int().nonnegative(), output: z.number().int().nonnegative() });
const PricedSchema = CallSchema.extend({ cost: z.number() });
type Call = z.infer<typeof CallSchema>;
type Priced = z.infer<typeof PricedSchema>;

const cost = (model: string, input: number, output: number): number => {
  const [pin, pout] = SUITE_PRICES[model] ?? [0, 0];
  return (input * pin + output * pout) / 1e6;
};

const parseRequestTool = defineTool({
  name: "parse_request",
  description: "Reads the marker and the `model input output` calls out of a request.",
  parameters: z.object({ text: z.string() }),
  execute: ({ text }) => {
    const marker = /marker=(\S+)/.exec(text)?.[1] ?? null;
    const calls: Call[] = [...text.matchAll(/([a-z]+-model) (\d+) (\d+)/g)].map((m) => ({
      model: m[1] ?? "",
      input: Number(m[2]),
      output: Number(m[3]),
    }));
    return { marker, calls };
  },
});

const priceCallsTool = defineTool({
  name: "price_calls",
  description: "Prices each call with the suite catalogue.",
  parameters: z.object({ calls: z.array(CallSchema), jitter_ms: z.number().int().nonnegative().default(0) }),
  execute: async ({ calls, jitter_ms }, { signal }) => {
    if (jitter_ms > 0) await sleep(jitter_ms, undefined, { signal });
    return calls.map((c) => ({ ...c, cost: cost(c.model, c.input, c.output) }));
  },
});

const findSavingsTool = defineTool({
  name: "find_savings",
  description: "The saving of moving each model's calls to the cheapest model.",
  parameters: z.object({ rows: z.array(PricedSchema) }),
  execute: ({ rows }) => {
    const byModel = new Map<string, { current: number; cheaper: number; calls: number }>();
    for (const row of rows) {
      const entry = byModel.get(row.model) ?? { current: 0, cheaper: 0, calls: 0 };
      entry.current += row.cost;
      entry.cheaper += cost(CHEAPEST, row.input, row.output);
      entry.calls += 1;
      byModel.set(row.model, entry);
    }
    return [...byModel]
      .filter(([model]) => model !== CHEAPEST)
      .map(([model, e]) => ({ model, calls: e.calls, saving: e.current - e.cheaper }));
  },
});

const rankActionsTool = defineTool({
  name: "rank_actions",
  description: "Orders savings into an action plan, biggest first.",
  parameters: z.object({ savings: z.array(z.object({ model: z.string(), calls: z.number(), saving: z.number() })) }),
  execute: ({ savings }) =>
    [...savings].sort((a, b) => b.saving - a.saving).map((s, i) => ({ rank: i + 1, step: `Move ${s.model} traffic to ${CHEAPEST}`, ...s })),
});

export const checksumTool = defineTool({
  name: "checksum",
  description: "sha256 of a text; its mode makes it fail, hang past its timeout, or ignore the abort signal.",
  parameters: z.object({
    text: z.string(),
    mode: z.enum(["ok", "throw", "hang", "deaf"]).default("ok"),
    delay_ms: z.number().int().nonnegative().default(0),
  }),
  execute: async ({ text, mode, delay_ms }, { signal }) => {
    if (mode === "hang") await sleep(60_000, undefined, { signal, ref: false });
    // "deaf" ignores the abort signal entirely: the dispatcher must stop waiting by itself.
    if (mode === "deaf") await sleep(60_000, undefined, { ref: false });
    if (delay_ms > 0) await sleep(delay_ms, undefined, { signal });
    if (mode === "throw") throw new Error(`checksum refused "${text.slice(0, 20)}"`);
    return { sha256: createHash("sha256").update(text).digest("hex"), length: text.length };
  },
});

const triage: Agent = {
  name: AgentName.TRIAGE,
  description: "Reading the request to find the calls it describes.",
  async run({ tools, request, metadata, think }) {
    const parsed = await tools.call<{ marker: string | null; calls: Call[] }>("parse_request", { text: request });
    await think(`Found ${parsed.calls.length} calls for ${parsed.marker ?? "an unmarked request"}.`);
    metadata.storeBatch({ marker: parsed.marker, calls: parsed.calls });
    return { summary: `${parsed.calls.length} calls` };
  },
};

const data: Agent = {
  name: AgentName.DATA,
  description: "Pricing every call.",
  async run({ tools, metadata, think }) {
    const calls = metadata.get<Call[]>("calls", []);
    const rows = await tools.call<Priced[]>("price_calls", { calls, jitter_ms: Math.floor(Math.random() * 5) });
    const total = rows.reduce((sum, r) => sum + r.cost, 0);
    await think(`Priced ${rows.length} calls: $${total.toFixed(6)} in all.`);
    metadata.storeBatch({ rows, total });
    return { summary: `$${total.toFixed(6)}` };
  },
};

const optimize: Agent = {
  name: AgentName.OPTIMIZE,
  description: "Looking for cheaper models for the same calls.",
  skip: ({ metadata }) => (metadata.get<Priced[]>("rows", []).length === 0 ? "no priced calls" : null),
  async run({ tools, metadata, think }) {
    const savings = await tools.call<{ model: string; saving: number }[]>("find_savings", { rows: metadata.get("rows", []) });
    await think(`${savings.length} models could move to ${CHEAPEST}.`);
    metadata.storeResult("savings", savings);
    metadata.incrementCounter("opportunities", savings.length);
    return { summary: `${savings.length} opportunities` };
  },
};

const actions: Agent = {
  name: AgentName.ACTIONS,
  description: "Turning the savings into ordered steps.",
  async run({ tools, metadata, think }) {
    const plan = await tools.call<{ step: string }[]>("rank_actions", { savings: metadata.get("savings", []) });
    await think(`Planned ${plan.length} steps.`);
    metadata.extendList("plan", plan);
    return { summary: `${plan.length} steps` };
  },
};

const reportAgent: Agent = {
  name: AgentName.REPORT,
  description: "Writing the report.",
  async run({ tools, metadata, think, report }) {
    const marker = metadata.get<string | null>("marker", null);
    const digest = await tools.call<{ sha256: string }>("checksum", { text: `${marker}:${metadata.get("total", 0)}` });
    const rows = metadata.get<Priced[]>("rows", []);
    const savings = metadata.get<{ model: string; calls: number; saving: number }[]>("savings", []);
    const total = metadata.get<number>("total", 0);
    await think(`Report for ${marker} signed ${digest.sha256.slice(0, 12)}.`);
    const body: Report = {
      period: { from: "2026-01-01T00:00:00Z", to: "2026-01-31T00:00:00Z", days: 30 },
      totals: {
        cost_usd: total,
        monthly_cost_usd: total,
        calls: rows.length,
        input_tokens: rows.reduce((s, r) => s + r.input, 0),
        output_tokens: rows.reduce((s, r) => s + r.output, 0),
      },
      breakdowns: { by_model: [], by_feature: [], by_day: [] },
      opportunities: savings.map((s) => ({
        kind: OpportunityKind.MODEL_RIGHTSIZING,
        title: `Move ${s.model} to ${CHEAPEST}`,
        scope: { model: s.model },
        est_monthly_savings_usd: s.saving,
        confidence: 0.5,
        evidence: { counts: { calls: s.calls }, query: "suite", example_record_ids: [] },
        assumptions: [],
        actions: [{ step: `Route ${s.model} to ${CHEAPEST}` }],
      })),
      total_est_monthly_savings_usd: savings.reduce((s, x) => s + x.saving, 0),
      unpriced_models: [],
      data_quality: { records: rows.length, rejected: 0, warnings: [] },
      executive_summary: `Report for ${marker}`,
      action_plan: [],
    };
    await report(body);
    return { summary: `report for ${marker}` };
  },
};

const SUITE_AGENTS: readonly Agent[] = [triage, data, optimize, actions, reportAgent];
export const SUITE_TOOLS: readonly AnyTool[] = [parseRequestTool, priceCallsTool, findSavingsTool, rankActionsTool, checksumTool];

/** A factory over fresh registries of the given agents (the suite pipeline by default) and the suite tools. */
export function suiteFactory(
  options: {
    agents?: readonly Agent[];
    /** Where events go; a fresh MemoryEventSink (returned) by default. */
    sink?: EventSink;
  } & Partial<Omit<ExecutionEngineFactoryOptions<undefined>, "agents" | "tools" | "sink" | "services">> = {},
): { factory: ExecutionEngineFactory<undefined>; sink: MemoryEventSink } {
  const agents = new Registry<Agent<undefined>>("agent");
  for (const agent of options.agents ?? SUITE_AGENTS) agents.register(agent.name, agent);
  const tools = new Registry<AnyTool<undefined>>("tool");
  for (const tool of SUITE_TOOLS) tools.register(tool.name, tool);
  const sink = options.sink instanceof MemoryEventSink ? options.sink : new MemoryEventSink();
  const factory = new ExecutionEngineFactory<undefined>({
    ...options,
    config: { toolTimeoutMs: SUITE_TOOL_TIMEOUT_MS, ...options.config },
    agents,
    tools,
    sink: options.sink ?? sink,
    services: undefined,
    pipeline: options.pipeline ?? (options.agents ?? SUITE_AGENTS).map((a) => a.name),
  });
  return { factory, sink };
}

/** The suite's expected total for a request, computed independently of the agents. */
export function expectedTotal(calls: readonly Call[]): number {
  return calls.reduce((sum, c) => sum + cost(c.model, c.input, c.output), 0);
}
