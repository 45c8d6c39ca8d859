import { z } from "zod";
import { BREAKDOWN_DIMENSIONS, type CorpusSummary } from "../analytics/store.ts";
import { ToolName } from "../protocol/names.ts";
import type { CorpusIngestStatus } from "../protocol/rest.ts";
import { defineTool, type ToolCall } from "../runtime/tool.ts";
import type { ApexServices } from "./services.ts";
import { ScopeParamsSchema, scopeFor } from "./scope.ts";

// The data queries as tools: thin, typed views of the usage store (each returns the store's own answer), always
// limited to the calling user's rows.

const ScopeOnly = z.object({ scope: ScopeParamsSchema.default({}) });

/**
 * The most rows a breakdown or percentile tool answers: each answer travels whole in a tool_completed event, through
 * the event log and the report, so a user with thousands of models or features must not make megabyte events.
 */
export const MAX_TOOL_ROWS = 500;

export const usageTotalsTool = defineTool({
  name: ToolName.USAGE_TOTALS,
  description: "Totals of the usage in scope: records, calls, cost, tokens and the period covered (first to last call).",
  parameters: ScopeOnly,
  execute: (params, call: ToolCall<ApexServices>) =>
    call.services.usage.totals(scopeFor(call.context, params.scope)),
});

export const usageBreakdownTool = defineTool({
  name: ToolName.USAGE_BREAKDOWN,
  description:
    "Cost, calls and tokens grouped by one dimension (model, provider, feature, user_id, project, environment, " +
    `service_tier, api_key_id, operation, day, hour_of_day); most expensive first, day and hour in time order; at most ${MAX_TOOL_ROWS} rows (the most expensive, or the latest days).`,
  parameters: z.object({ scope: ScopeParamsSchema.default({}), dimension: z.enum(BREAKDOWN_DIMENSIONS) }),
  execute: async (params, call: ToolCall<ApexServices>) => {
    const rows = await call.services.usage.breakdown(scopeFor(call.context, params.scope), params.dimension);
    return params.dimension === "day" ? rows.slice(-MAX_TOOL_ROWS) : rows.slice(0, MAX_TOOL_ROWS);
  },
});

export const usagePercentilesTool = defineTool({
  name: ToolName.USAGE_PERCENTILES,
  description: `p50/p90/p99 of input tokens, output tokens and duration per model or per feature (single calls only); at most ${MAX_TOOL_ROWS} rows (the most called).`,
  parameters: z.object({ scope: ScopeParamsSchema.default({}), by: z.enum(["model", "feature"]) }),
  execute: async (params, call: ToolCall<ApexServices>) => {
    const rows = await call.services.usage.percentiles(scopeFor(call.context, params.scope), params.by);
    if (rows.length <= MAX_TOOL_ROWS) return rows;
    // The most called keep their place, in the store's order.
    const kept = new Set([...rows].sort((a, b) => b.calls - a.calls).slice(0, MAX_TOOL_ROWS));
    return rows.filter((row) => kept.has(row));
  },
});

export const unpricedModelsTool = defineTool({
  name: ToolName.UNPRICED_MODELS,
  description: "Models in scope with no price (their calls are left out of every cost, never counted as zero).",
  parameters: ScopeOnly,
  execute: (params, call: ToolCall<ApexServices>) => call.services.usage.unpricedModels(scopeFor(call.context, params.scope)),
});

export const listCorporaTool = defineTool({
  name: ToolName.LIST_CORPORA,
  description: "The calling user's datasets (corpora): records, calls, cost, first/last call, and status (`partial`: its last upload stopped early) of each.",
  parameters: z.object({}),
  async execute(_params, call: ToolCall<ApexServices>): Promise<(CorpusSummary & Partial<CorpusIngestStatus>)[]> {
    const corpora = await call.services.usage.listCorpora(call.context.userId);
    const statuses = corpora.length === 0 ? undefined : await call.services.corpora?.statuses?.(call.context.userId);
    return corpora.map((corpus) => ({ ...corpus, ...statuses?.get(corpus.corpus) }));
  },
});
