import type { describeCorpusTool } from "../tools/corpus-tools.ts";
import type { listCorporaTool, unpricedModelsTool, usageBreakdownTool, usagePercentilesTool, usageTotalsTool } from "../tools/usage-data.ts";

// What the data tools answer, as the agents read it: derived from the tools themselves, so a change there shows up here.

type ResultOf<T extends { execute: (...args: never[]) => unknown }> = Awaited<ReturnType<T["execute"]>>;

export type UsageTotals = ResultOf<typeof usageTotalsTool>;
export type UsageBreakdownRow = ResultOf<typeof usageBreakdownTool>[number];
export type TokenPercentiles = ResultOf<typeof usagePercentilesTool>[number];
export type UnpricedModel = ResultOf<typeof unpricedModelsTool>[number];
export type CorpusSummary = ResultOf<typeof listCorporaTool>[number];
export type CorpusDescription = ResultOf<typeof describeCorpusTool>;
