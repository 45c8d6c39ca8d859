import { z } from "zod";
import { BREAKDOWN_DIMENSIONS } from "../analytics/store.ts";
import { ToolName } from "../protocol/names.ts";
import { defineTool, type ToolCall } from "../runtime/tool.ts";
import type { ApexServices } from "./services.ts";
import { ScopeParamsSchema, scopeFor } from "./scope.ts";

// The data queries as tools: thin, typed views of the usage store (each returns the store's own answer), always
// limited to the calling user's rows.

const ScopeOnly = z.object({ scope: ScopeParamsSchema.default({}) });

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
    "service_tier, api_key_id, operation, day, hour_of_day); most expensive first, day and hour in time order.",
  parameters: z.object({ scope: ScopeParamsSchema.default({}), dimension: z.enum(BREAKDOWN_DIMENSIONS) }),
  execute: (params, call: ToolCall<ApexServices>) =>
    call.services.usage.breakdown(scopeFor(call.context, params.scope), params.dimension),
});

export const usagePercentilesTool = defineTool({
  name: ToolName.USAGE_PERCENTILES,
  description: "p50/p90/p99 of input tokens, output tokens and duration per model or per feature (single calls only).",
  parameters: z.object({ scope: ScopeParamsSchema.default({}), by: z.enum(["model", "feature"]) }),
  execute: (params, call: ToolCall<ApexServices>) =>
    call.services.usage.percentiles(scopeFor(call.context, params.scope), params.by),
});

export const unpricedModelsTool = defineTool({
  name: ToolName.UNPRICED_MODELS,
  description: "Models in scope with no price (their calls are left out of every cost, never counted as zero).",
  parameters: ScopeOnly,
  execute: (params, call: ToolCall<ApexServices>) => call.services.usage.unpricedModels(scopeFor(call.context, params.scope)),
});

export const listCorporaTool = defineTool({
  name: ToolName.LIST_CORPORA,
  description: "The calling user's datasets (corpora): records, calls, cost and first/last call of each.",
  parameters: z.object({}),
  execute: (_params, call: ToolCall<ApexServices>) => call.services.usage.listCorpora(call.context.userId),
});
