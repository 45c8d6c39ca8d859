import { z } from "zod";
import { OpportunityKind, ToolName } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import { defineAnalysis, round, usd } from "./analysis-tool.ts";
import { scopeOf } from "./opportunity.ts";
import { featureTraffic, tierSavingsRate, unattendedTraffic } from "./tier-traffic.ts";

// priority_tier: calls paid at priority tier that nobody waits on (not streamed, no end user, in a feature without
// interactive traffic). Savings: cost x (1 - 1/priority multiplier), the multiplier (or explicit priority price) of the book.

const THRESHOLDS = {
  minCalls: z.number().int().positive().default(20),
  /** Largest share of the feature's calls that may be interactive (streamed or with an end user). */
  maxInteractiveShare: z.number().min(0).max(1).default(0.05),
};

export const priorityTierTool = defineAnalysis({
  name: ToolName.FIND_PRIORITY_TIER,
  description:
    "Finds priority-tier calls that nobody waits on (not streamed, no end user); estimates the monthly savings of " +
    "sending them at standard tier.",
  thresholds: THRESHOLDS,
  async find(params, frame, { usage, prices }) {
    const rows = await usage.tierUsage(frame.scope);
    const features = featureTraffic(rows);
    const found: Opportunity[] = [];
    for (const t of unattendedTraffic(rows, (tier) => tier === "priority")) {
      const feature = features.get(t.feature);
      if (feature === undefined || t.tokens.calls < params.minCalls || t.cost <= 0) continue;
      if (feature.interactive > params.maxInteractiveShare * feature.calls) continue;
      const rate = tierSavingsRate(prices, t, "priority", "standard", frame.totals.period.to);
      if (rate === null || rate <= 0) continue;
      const observed = t.cost * rate;
      const where = t.feature ?? "calls without a feature";
      found.push({
        kind: OpportunityKind.PRIORITY_TIER,
        title: `Drop priority processing for ${where} on ${t.model}`,
        scope: scopeOf({ feature: t.feature, model: t.model }),
        est_monthly_savings_usd: round(observed * frame.perMonth, 6),
        confidence: t.feature === null ? 0.55 : 0.75,
        evidence: {
          counts: {
            priority_calls: t.tokens.calls,
            priority_cost_usd: round(t.cost, 6),
            feature_calls: feature.calls,
            interactive_calls: feature.interactive,
            batch_or_flex_calls: feature.discounted,
            priority_premium_share: round(rate, 4),
          },
          query: "tierUsage",
          example_record_ids: t.exampleIds,
        },
        assumptions: [
          "No latency need: none of these calls is streamed or carries an end user's id.",
          `Priority costs ${round(1 / (1 - rate), 3)}x standard for this model (the price book's priority price).`,
          ...(feature.discounted > 0 ? [`${feature.discounted} calls of the same feature already run at batch or flex tier.`] : []),
          frame.periodNote,
        ],
        actions: [
          {
            step: `Remove service_tier "priority" from the ${where} requests`,
            detail: `Send them with service_tier "default" (${usd(observed)} over the period); for background jobs "flex" halves the standard price again.`,
          },
        ],
      });
    }
    return found;
  },
});
