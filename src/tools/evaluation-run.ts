import type { AnswerKey } from "../analytics/generator/answer-key.ts";
import type { ScenarioName } from "../analytics/generator/saas-scenario.ts";
import { generateWorkload } from "../analytics/generator/workload.ts";
import { ingestUsage } from "../analytics/ingest.ts";
import { readUsageLines } from "../analytics/read-usage.ts";
import type { UsageStore } from "../analytics/store.ts";
import { createOfflineProvider } from "../llm/offline.ts";
import type { OpportunityKindName } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import type { PriceBook } from "../pricing/price-book.ts";
import { UserExecutionContext } from "../runtime/context.ts";
import { ANALYSIS_TOOLS } from "./catalog.ts";
import { type RunScore, scoreRun } from "./evaluation.ts";
import type { AnalysisResult } from "./opportunity.ts";
import type { ApexServices } from "./services.ts";

// One evaluation case end to end: generate a planted-waste workload, ingest it as canonical JSONL into the store,
// produce the opportunities for the case's owner (the tools directly, or the agent pipeline), score them against the
// answer key.

export interface EvalCase {
  /** Name shown in the tables (a scenario, or a scenario with other waste rates). */
  label: string;
  scenario: ScenarioName;
  seed: number;
  records: number;
  days: number;
  wasteRates?: Partial<Record<OpportunityKindName, number>>;
}

/** Produces the opportunities for one owner's data: the analysis tools called directly, or the whole agent pipeline. */
export type Analyse = (owner: string, services: ApexServices) => Promise<Opportunity[]>;

/** Every analysis tool called directly, with the owner's context (what the Optimize agent does, without the rest). */
export const analyseWithTools: Analyse = async (owner, services) => {
  const context = UserExecutionContext.create({ userId: owner, threadId: "evaluation", runId: "evaluation" });
  const opportunities: Opportunity[] = [];
  for (const tool of ANALYSIS_TOOLS) {
    const params = tool.parameters.parse({ scope: {} });
    const result = (await tool.execute(params, {
      context: context.child(`tool:${tool.name}`),
      signal: context.signal,
      services,
      agentName: "evaluation",
      toolCallId: `${tool.name}-${owner}`,
    })) as AnalysisResult;
    opportunities.push(...result.opportunities);
  }
  return opportunities;
};

export interface EvalOutcome {
  score: RunScore;
  opportunities: Opportunity[];
  key: AnswerKey;
  ingested: number;
  analysisMs: number;
}

export async function runEvalCase(
  c: EvalCase,
  book: PriceBook,
  store: UsageStore,
  analyse: Analyse = analyseWithTools,
): Promise<EvalOutcome> {
  const workload = generateWorkload({
    scenario: c.scenario,
    records: c.records,
    days: c.days,
    seed: c.seed,
    ...(c.wasteRates === undefined ? {} : { wasteRates: c.wasteRates }),
    price: (record) => book.price(record).computed_cost_usd,
    priceSource: "bundled genai-prices",
  });
  function* lines(): Generator<string> {
    for (const record of workload.records()) yield JSON.stringify(record);
  }
  const owner = `eval-${c.label}-${c.seed}`.replace(/[^A-Za-z0-9._:@-]/g, "-");
  const reader = await readUsageLines(lines(), { format: "canonical" }, `${c.label} seed ${c.seed}`);
  const summary = await ingestUsage(reader, store, { owner, corpus: "eval", price: (record) => book.price(record) });
  const key = workload.answerKey();

  const services: ApexServices = { usage: store, prices: book, llm: createOfflineProvider() };
  const started = performance.now();
  const opportunities = await analyse(owner, services);
  return {
    score: scoreRun(opportunities, key, c.label),
    opportunities,
    key,
    ingested: summary.ingested,
    analysisMs: performance.now() - started,
  };
}
