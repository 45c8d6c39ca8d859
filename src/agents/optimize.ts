import { toApexError } from "../protocol/errors.ts";
import { AgentName, ErrorCode, OpportunityKind, type OpportunityKindName } from "../protocol/names.ts";
import { OpportunitySchema, type Opportunity } from "../protocol/report.ts";
import type { Agent } from "../runtime/agent.ts";
import type { ApexServices } from "../tools/services.ts";
import type { DataFindings, TriageResult } from "./hand-offs.ts";
import { MetadataKey } from "./metadata-keys.ts";
import { plural, usd } from "./money.ts";
import { ANALYSIS_TOOL, monthly } from "./monthly.ts";
import { skipWithoutData } from "./skip-rules.ts";

// Optimize: every opportunity analysis over the resolved scope. Only findings with evidence (record ids and a
// positive saving) are kept; each gets its monthly figure's basis and a confidence that reflects how much data it rests on.

const KIND_WORDS: Readonly<Record<OpportunityKindName, string>> = {
  [OpportunityKind.MODEL_RIGHTSIZING]: "simple calls served by an expensive model",
  [OpportunityKind.PROMPT_CACHING]: "repeated prompt prefixes billed as uncached input",
  [OpportunityKind.RESPONSE_CACHING]: "identical requests answered again",
  [OpportunityKind.BATCH_API]: "latency-insensitive traffic that could use the batch endpoint",
  [OpportunityKind.PRIORITY_TIER]: "priority-tier traffic that needs no priority",
  [OpportunityKind.OUTPUT_TRUNCATION]: "answers cut off by max_tokens and sent again",
  [OpportunityKind.RETRY_WASTE]: "failed calls that still billed tokens, and hasty retries",
  [OpportunityKind.CONTEXT_BLOAT]: "conversations re-sending their whole history",
};

/** Fewer calls than this behind a finding and its confidence is lowered: a handful of calls is a weak basis. */
const SMALL_SAMPLE_CALLS = 20;
const SMALL_SAMPLE_FACTOR = 0.7;
/** Observed periods shorter than this make the 30-day extrapolation shaky. */
const SHORT_PERIOD_DAYS = 7;
const SHORT_PERIOD_FACTOR = 0.85;

function sampleSize(opportunity: Opportunity): number {
  const counts = Object.values(opportunity.evidence.counts);
  return counts.length === 0 ? 0 : Math.max(...counts);
}

/** The opportunity as kept, or the reason it is dropped. */
export function vetOpportunity(raw: unknown, periodDays: number): Opportunity | string {
  const parsed = OpportunitySchema.safeParse(raw);
  if (!parsed.success) return "its result does not have the opportunity shape";
  const o = parsed.data;
  if (o.evidence.example_record_ids.length === 0) return "it cites no example records";
  if (!(o.est_monthly_savings_usd > 0)) return "it saves nothing";
  let confidence = o.confidence;
  const assumptions = [...o.assumptions];
  if (sampleSize(o) < SMALL_SAMPLE_CALLS) {
    confidence *= SMALL_SAMPLE_FACTOR;
    assumptions.push(`Rests on fewer than ${SMALL_SAMPLE_CALLS} calls; confidence lowered accordingly.`);
  }
  if (periodDays > 0 && periodDays < SHORT_PERIOD_DAYS) {
    confidence *= SHORT_PERIOD_FACTOR;
    assumptions.push(`Your data covers ${periodDays.toFixed(1)} days; the monthly figure scales that to 30 days and assumes the same traffic.`);
  } else if (!assumptions.some((a) => /month|30 days/i.test(a))) {
    assumptions.push(`Monthly figure: the saving observed over ${periodDays.toFixed(1)} days scaled to 30 days, assuming traffic stays the same.`);
  }
  return { ...o, confidence: Math.round(confidence * 100) / 100, assumptions };
}

export const optimizeAgent: Agent<ApexServices> = {
  name: AgentName.OPTIMIZE,
  description: "Running every savings analysis over your usage and keeping only the findings backed by records.",
  // Without it the report still shows where the money goes, and says the analyses did not finish.
  required: false,
  skip: skipWithoutData,
  async run({ tools, metadata, think }) {
    const triage = metadata.get<TriageResult>(MetadataKey.TRIAGE);
    const data = metadata.get<DataFindings>(MetadataKey.DATA);
    const scope = data?.scope ?? triage?.scope ?? {};
    const periodDays = data?.totals.period.days ?? 0;
    const kept: Opportunity[] = [];
    for (const kind of Object.values(OpportunityKind)) {
      await think(`Looking for ${KIND_WORDS[kind]}.`);
      let found: { opportunities: unknown[] };
      try {
        found = await tools.call<{ opportunities: unknown[] }>(ANALYSIS_TOOL[kind], { scope });
      } catch (thrown) {
        const error = toApexError(thrown, ErrorCode.TOOL_FAILED);
        if (error.code === ErrorCode.CANCELLED) throw error;
        await think(`The ${kind} analysis failed (${error.message}); going on without it.`);
        metadata.appendToList(MetadataKey.WARNINGS, `The ${kind} analysis could not run: ${error.message}`);
        continue;
      }
      const dropped: string[] = [];
      for (const raw of found.opportunities) {
        const vetted = vetOpportunity(raw, periodDays);
        if (typeof vetted === "string") dropped.push(vetted);
        else kept.push(vetted);
      }
      const mine = kept.filter((o) => o.kind === kind);
      if (mine.length > 0) {
        await think(`${kind}: ${plural(mine.length, "finding")} worth ${usd(mine.reduce((s, o) => s + o.est_monthly_savings_usd, 0))} a month.`);
      }
      if (dropped.length > 0) await think(`Dropped ${plural(dropped.length, `${kind} finding`)}: ${[...new Set(dropped)].join("; ")}.`);
    }
    kept.sort((a, b) => b.est_monthly_savings_usd - a.est_monthly_savings_usd);
    const total = kept.reduce((s, o) => s + o.est_monthly_savings_usd, 0);
    await think(kept.length === 0 ? "No savings pattern shows in this data: nothing is invented." : `In all: ${plural(kept.length, "opportunity")} worth ${usd(total)} a month.`);
    const budget = triage?.entities.budget;
    const monthlyCost = data === undefined || data.totals.cost_usd === null ? null : monthly(data.totals.cost_usd, periodDays);
    if (budget?.cut_pct !== undefined && monthlyCost !== null && monthlyCost > 0) {
      const reach = (total / monthlyCost) * 100;
      await think(`Your target is a ${budget.cut_pct}% cut; these findings reach about ${reach.toFixed(0)}% of your monthly spend${reach >= budget.cut_pct ? ", enough" : ", short of it"}.`);
    }
    metadata.storeResult(MetadataKey.OPPORTUNITIES, kept);
    return { summary: `${plural(kept.length, "opportunity")}, ${usd(total)} a month.` };
  },
};
