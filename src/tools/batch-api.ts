import { z } from "zod";
import { OpportunityKind, ToolName } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import { defineAnalysis, round, usd } from "./analysis-tool.ts";
import { scopeOf } from "./opportunity.ts";
import { busiestHoursShare, featureTraffic, tierSavingsRate, unattendedTraffic } from "./tier-traffic.ts";

// batch_api: latency-insensitive traffic at standard tier: a feature whose calls are not streamed and carry no end
// user, that also runs as bursts within a few hours of the day or already uses the batch/flex tier for part of it.
// Savings: 0.5 x the cost of those calls (the price book's batch price, which is half at OpenAI, Anthropic, Google).

const THRESHOLDS = {
  minCalls: z.number().int().positive().default(50),
  /** Largest share of the feature's calls that may be interactive (streamed or with an end user). */
  maxInteractiveShare: z.number().min(0).max(1).default(0.05),
  /** A burst: at least this share of the calls within `burstHours` consecutive hours of the day. */
  minBurstShare: z.number().min(0).max(1).default(0.8),
  burstHours: z.number().int().min(1).max(23).default(4),
};

const BATCH_ENDPOINT: Readonly<Record<string, string>> = {
  openai: "the Batch API (POST /v1/batches with a JSONL file of /v1/chat/completions requests, 24 h window)",
  anthropic: "the Message Batches API (POST /v1/messages/batches)",
  google: "Gemini batch mode (batchGenerateContent / a batch job over a JSONL file)",
};

const standardTier = (tier: string | null) => tier === null || tier === "standard";

export const batchApiTool = defineAnalysis({
  name: ToolName.FIND_BATCH_API,
  description:
    "Finds latency-insensitive traffic (not streamed, no end user, night or burst jobs) sent at standard tier; " +
    "estimates the monthly savings of sending it through the provider's batch endpoint.",
  thresholds: THRESHOLDS,
  async find(params, frame, { usage, prices }) {
    const rows = await usage.tierUsage(frame.scope);
    const features = featureTraffic(rows);
    const found: Opportunity[] = [];
    for (const t of unattendedTraffic(rows, standardTier)) {
      const feature = features.get(t.feature);
      if (t.feature === null || feature === undefined || t.tokens.calls < params.minCalls || t.cost <= 0) continue;
      if (feature.interactive > params.maxInteractiveShare * feature.calls) continue;
      const burst = busiestHoursShare(t.hours, params.burstHours);
      const bursty = burst.share >= params.minBurstShare;
      const alreadyDiscounted = feature.discounted > 0;
      if (!bursty && !alreadyDiscounted) continue;
      const rate = tierSavingsRate(prices, t, "standard", "batch", frame.totals.period.to);
      if (rate === null || rate <= 0) continue;
      const observed = t.cost * rate;
      const provider = prices.providerOf(t.model, t.provider ?? undefined) ?? t.provider ?? "";
      found.push({
        kind: OpportunityKind.BATCH_API,
        title: `Send ${t.feature} on ${t.model} through the batch endpoint`,
        scope: scopeOf({ feature: t.feature, model: t.model }),
        est_monthly_savings_usd: round(observed * frame.perMonth, 6),
        confidence: bursty && alreadyDiscounted ? 0.85 : 0.7,
        evidence: {
          counts: {
            standard_tier_calls: t.tokens.calls,
            standard_tier_cost_usd: round(t.cost, 6),
            feature_calls: feature.calls,
            interactive_calls: feature.interactive,
            batch_or_flex_calls: feature.discounted,
            busiest_hours_share: round(burst.share, 4),
            busiest_hours_start_utc: burst.startHour,
            batch_discount: round(rate, 4),
          },
          query: "tierUsage",
          example_record_ids: t.exampleIds,
        },
        assumptions: [
          `Nobody waits on these calls: none is streamed or carries an end user's id, and ${round(burst.share * 100, 1)}% ` +
            `run within ${params.burstHours} hours from ${String(burst.startHour).padStart(2, "0")}:00 UTC.`,
          "Results may arrive up to 24 hours later (the batch completion window).",
          ...(alreadyDiscounted ? [`${feature.discounted} calls of ${t.feature} already run at batch or flex tier.`] : []),
          ...(t.unpricedCalls > 0 ? [`${t.unpricedCalls} unpriced calls are left out.`] : []),
          frame.periodNote,
        ],
        actions: [
          {
            step: `Submit ${t.feature} jobs through ${BATCH_ENDPOINT[provider] ?? "the provider's batch endpoint"}`,
            detail: `Collect the job's requests into one batch file instead of one call at a time (${usd(observed)} over the period).`,
          },
          { step: "Poll or webhook the batch result and keep the standard path as a fallback for late batches" },
        ],
      });
    }
    return found;
  },
});
