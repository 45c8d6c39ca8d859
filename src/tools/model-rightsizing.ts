import { z } from "zod";
import type { FeatureModelRow } from "../analytics/store.ts";
import { SIMPLE_TRAFFIC } from "../protocol/catalog.ts";
import { OpportunityKind, ToolName } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import { blendedRate } from "../pricing/model-prices.ts";
import type { PriceBook } from "../pricing/price-book.ts";
import { defineAnalysis, round, usd } from "./analysis-tool.ts";
import { scopeOf } from "./opportunity.ts";
import { costOfTokens } from "./token-cost.ts";

// model_rightsizing: a feature whose calls are simple (short output, no tool calls) on an expensive model while a much
// cheaper model of the same provider exists: best one the feature already runs on, else one from the price list.
// Savings: the group's cost minus the same tokens priced on the cheaper model.

const THRESHOLDS = {
  /** Calls whose 90th-percentile output is below this are "simple" (labels, extractions, short answers). */
  maxP90OutputTokens: z.number().int().positive().default(256),
  /** Share of calls that end in a tool call above which the feature is an agent loop, not a simple task. */
  maxToolCallShare: z.number().min(0).max(1).default(0.05),
  minCalls: z.number().int().positive().default(50),
  /** A model the feature already uses counts as a target when it is at most this fraction of the price. */
  peerMaxCostRatio: z.number().positive().max(1).default(0.5),
  /** A model from the price list (not yet used by the feature) must be at most this fraction of the price. */
  catalogMaxCostRatio: z.number().positive().max(1).default(0.2),
};

interface Target {
  model: string;
  ratio: number;
  proven: boolean;
  calls: number;
  /** The supply catalog declares it safe for simple traffic of the current model. */
  declared?: boolean;
}

function pickTarget(row: FeatureModelRow, rows: readonly FeatureModelRow[], book: PriceBook, p: z.output<z.ZodObject<typeof THRESHOLDS>>): Target | undefined {
  const current = book.lookup(row.model, row.provider ?? undefined);
  if (current === undefined) return undefined;
  const currentRate = blendedRate(current.rates);
  const peers = rows
    .filter((other) => other.feature === row.feature && other.model !== row.model && other.calls >= p.minCalls)
    .flatMap((other) => {
      const prices = book.lookup(other.model, other.provider ?? undefined);
      if (prices === undefined || prices.provider !== current.provider) return [];
      const ratio = blendedRate(prices.rates) / currentRate;
      return ratio <= p.peerMaxCostRatio ? [{ model: other.model, ratio, proven: true, calls: other.calls }] : [];
    })
    .sort((a, b) => b.calls - a.calls || a.ratio - b.ratio);
  if (peers[0] !== undefined) return peers[0];
  // A substitute the supply catalog declares safe for simple traffic comes before any merely cheaper listed model.
  const declared = book
    .substitutesOf(row.model)
    .filter((s) => s.for.some((kind) => (SIMPLE_TRAFFIC as readonly string[]).includes(kind)))
    .flatMap((s) => {
      const prices = book.lookup(s.model);
      return prices === undefined ? [] : [{ model: prices.model, ratio: blendedRate(prices.rates) / currentRate, proven: false, calls: 0, declared: true }];
    })
    .filter((t) => t.ratio < 1)
    .sort((a, b) => a.ratio - b.ratio);
  if (declared[0] !== undefined) return declared[0];
  // The least drastic step down that is still much cheaper: quality loss grows with the price gap.
  const listed = book.cheaperModels(row.model, row.provider ?? undefined).find((c) => c.cost_ratio <= p.catalogMaxCostRatio);
  return listed === undefined ? undefined : { model: listed.prices.model, ratio: listed.cost_ratio, proven: false, calls: 0 };
}

export const modelRightsizingTool = defineAnalysis({
  name: ToolName.FIND_MODEL_RIGHTSIZING,
  description:
    "Finds features whose calls are simple (short outputs, no tool calls) served by an expensive model while a much " +
    "cheaper model of the same provider exists; estimates the monthly savings of moving them.",
  thresholds: THRESHOLDS,
  async find(params, frame, { usage, prices }) {
    const rows = await usage.featureModels(frame.scope);
    const found: Opportunity[] = [];
    for (const row of rows) {
      const cost = row.cost_usd;
      if (row.feature === null || cost === null || cost <= 0 || row.calls < params.minCalls) continue;
      if (row.output_p90 >= params.maxP90OutputTokens || row.tool_calls > params.maxToolCallShare * row.calls) continue;
      const target = pickTarget(row, rows, prices, params);
      if (target === undefined) continue;
      const pricedCalls = row.calls - row.unpriced_calls;
      const targetCost = costOfTokens(prices, { ...row, calls: pricedCalls }, { model: target.model, at: frame.totals.period.to });
      if (targetCost === null || targetCost >= cost) continue;
      const observed = cost - targetCost;
      found.push({
        kind: OpportunityKind.MODEL_RIGHTSIZING,
        title: `Move ${row.feature} calls from ${row.model} to ${target.model}`,
        scope: scopeOf({ feature: row.feature, model: row.model }),
        est_monthly_savings_usd: round(observed * frame.perMonth, 6),
        confidence: target.proven ? 0.75 : 0.45,
        evidence: {
          counts: {
            calls: row.calls,
            output_p50_tokens: row.output_p50,
            output_p90_tokens: row.output_p90,
            tool_calls: row.tool_calls,
            observed_cost_usd: round(cost, 6),
            cost_on_target_usd: round(targetCost, 6),
            target_cost_ratio: round(target.ratio, 4),
            ...(target.proven ? { target_calls_in_feature: target.calls } : {}),
          },
          query: "featureModels",
          example_record_ids: row.example_ids.slice(0, 5),
        },
        assumptions: [
          `The ${row.calls} calls are simple enough for ${target.model}: p90 output ${row.output_p90} tokens, ` +
            `${row.tool_calls} tool calls.`,
          target.proven
            ? `${row.feature} already serves ${target.calls} calls on ${target.model}, so the cheaper model is known to work for it.`
            : target.declared === true
              ? `The supply catalog declares ${target.model} a safe substitute of ${row.model} for simple traffic; no call of this feature runs on it yet.`
              : `${target.model} is the nearest listed model of the provider at most ${params.catalogMaxCostRatio}x the price; ` +
              "no call of this feature runs on it yet, so quality is unproven.",
          "The same input and output tokens on the target model (a different tokenizer can shift them a little).",
          frame.periodNote,
        ],
        actions: [
          {
            step: `Route ${row.feature} from ${row.model} to ${target.model}`,
            detail: `Change the model of the ${row.feature} call site to "${target.model}" (${usd(observed)} over the period).`,
          },
          {
            step: "A/B check the quality before switching all traffic",
            detail: `Send 5-10% of ${row.feature} to ${target.model} and compare its labels/answers with ${row.model} on the same inputs.`,
          },
        ],
      });
    }
    return found;
  },
});
