import type { AnyTool } from "../runtime/tool.ts";
import type { Registry } from "../runtime/registry.ts";
import { ADMIN_TOOLS } from "./admin-tools.ts";
import { batchApiTool } from "./batch-api.ts";
import { catalogLookupTool, catalogUpdateTool } from "./catalog-tools.ts";
import { contextBloatTool } from "./context-bloat.ts";
import { modelRightsizingTool } from "./model-rightsizing.ts";
import { outputTruncationTool } from "./output-truncation.ts";
import { priorityTierTool } from "./priority-tier.ts";
import { promptCachingTool } from "./prompt-caching.ts";
import { responseCachingTool } from "./response-caching.ts";
import { retryWasteTool } from "./retry-waste.ts";
import type { ApexServices } from "./services.ts";
import { deleteCorpusTool, describeCorpusTool, renameCorpusTool } from "./corpus-tools.ts";
import { planSyntheticJobTool } from "./synthetic-data.ts";
import {
  listCorporaTool,
  unpricedModelsTool,
  usageBreakdownTool,
  usagePercentilesTool,
  usageTotalsTool,
} from "./usage-data.ts";

// Every tool of Apex, registered once into the dispatcher's registry: the data queries, then one analysis per kind.

const DATA_TOOLS: readonly AnyTool<ApexServices>[] = [
  usageTotalsTool,
  usageBreakdownTool,
  usagePercentilesTool,
  unpricedModelsTool,
  listCorporaTool,
  describeCorpusTool,
  renameCorpusTool,
  deleteCorpusTool,
  planSyntheticJobTool,
];

/** One analysis per opportunity kind, in the order of analytics.md. */
export const ANALYSIS_TOOLS: readonly AnyTool<ApexServices>[] = [
  modelRightsizingTool,
  promptCachingTool,
  responseCachingTool,
  batchApiTool,
  priorityTierTool,
  outputTruncationTool,
  retryWasteTool,
  contextBloatTool,
];

/** The supply catalog: a lookup for everyone, edits for admins (the dispatcher checks the role). */
const CATALOG_TOOLS: readonly AnyTool<ApexServices>[] = [catalogLookupTool, catalogUpdateTool];

export const APEX_TOOLS: readonly AnyTool<ApexServices>[] = [...DATA_TOOLS, ...ANALYSIS_TOOLS, ...CATALOG_TOOLS, ...ADMIN_TOOLS];

export function registerApexTools(registry: Registry<AnyTool<ApexServices>>): Registry<AnyTool<ApexServices>> {
  for (const tool of APEX_TOOLS) registry.register(tool.name, tool);
  return registry;
}
