import { z } from "zod";
import { OpportunityKind, ToolName } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import { defineAnalysis, round, usd } from "./analysis-tool.ts";
import { scopeOf } from "./opportunity.ts";

// output_truncation: calls cut off by max_tokens (finish_reason = length) and then sent again with the same request.
// Savings: the cost of the truncated calls that were retried (the retry alone would have answered).

const THRESHOLDS = {
  /** How long after a truncated call a re-send of the same request counts as its retry. */
  windowSeconds: z.number().positive().default(3600),
  minRetried: z.number().int().positive().default(10),
};

/** A max_tokens that fits the answers seen: twice the current cap, or p99 output rounded up to 256, whichever is larger. */
function suggestedMaxTokens(current: number | null, p99: number): number {
  const fitted = Math.ceil(Math.max(p99, 1) / 256) * 256;
  return Math.max(fitted, (current ?? 0) * 2);
}

export const outputTruncationTool = defineAnalysis({
  name: ToolName.FIND_OUTPUT_TRUNCATION,
  description:
    "Finds calls cut off by max_tokens (finish_reason length) that were sent again; estimates the monthly savings " +
    "of a max_tokens large enough to answer the first time.",
  thresholds: THRESHOLDS,
  async find(params, frame, { usage }) {
    const rows = await usage.truncationRetries(frame.scope, { windowSeconds: params.windowSeconds });
    const sizes = await usage.featureModels(frame.scope);
    const found: Opportunity[] = [];
    for (const row of rows) {
      const cost = row.retried_cost_usd;
      if (row.retried_calls < params.minRetried || cost === null || cost <= 0) continue;
      const p99 = sizes.find((s) => s.feature === row.feature && s.model === row.model)?.output_p99 ?? 0;
      const suggested = suggestedMaxTokens(row.max_tokens, p99);
      const where = row.feature ?? "calls without a feature";
      found.push({
        kind: OpportunityKind.OUTPUT_TRUNCATION,
        title: `Raise max_tokens of ${where} on ${row.model} so answers are not cut and re-sent`,
        scope: scopeOf({ feature: row.feature, model: row.model }),
        est_monthly_savings_usd: round(cost * frame.perMonth, 6),
        confidence: 0.8,
        evidence: {
          counts: {
            truncated_calls: row.truncated_calls,
            retried_calls: row.retried_calls,
            retried_cost_usd: round(cost, 6),
            retried_output_tokens: row.retried_output_tokens,
            ...(row.max_tokens === null ? {} : { max_tokens: row.max_tokens }),
            output_p99_tokens: p99,
          },
          query: "truncationRetries",
          example_record_ids: row.example_ids.slice(0, 5),
        },
        assumptions: [
          `A truncated call re-sent with the same request_hash within ${params.windowSeconds} s is a retry of it; ` +
            "with a large enough max_tokens the first call would have answered.",
          "Truncated calls never re-sent are counted but not priced as savings (their answer may have sufficed).",
          frame.periodNote,
        ],
        actions: [
          {
            step: `Set max_tokens to ${suggested} for ${where}`,
            detail:
              `Now ${row.max_tokens ?? "unset"}; p99 of its outputs is ${p99} tokens. Retrying after finish_reason "length" ` +
              `costs ${usd(cost)} over the period.`,
          },
          { step: "Or ask for shorter answers in the prompt, and continue a cut answer instead of re-sending the request" },
        ],
      });
    }
    return found;
  },
});
