import { z } from "zod";
import { OpportunityKind, ToolName } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import { defineAnalysis, round, usd } from "./analysis-tool.ts";
import { scopeOf } from "./opportunity.ts";

// retry_waste: failed calls that still billed tokens (a timeout after the provider worked, a cut stream), most of them
// re-sent within 60 s. Savings: Σ cost of those wasted attempts.

const THRESHOLDS = {
  /** A re-send of the same request within this many seconds of a failure is its retry. */
  windowSeconds: z.number().positive().default(60),
  minFailedCalls: z.number().int().positive().default(10),
};

export const retryWasteTool = defineAnalysis({
  name: ToolName.FIND_RETRY_WASTE,
  description:
    "Finds failed calls that still billed tokens and their quick re-sends; estimates the monthly cost of those " +
    "wasted attempts and proposes a timeout and retry policy.",
  thresholds: THRESHOLDS,
  async find(params, frame, { usage }) {
    const rows = await usage.failedAttempts(frame.scope, { windowSeconds: params.windowSeconds });
    const durations = rows.length === 0 ? [] : await usage.percentiles(frame.scope, "feature");
    const found: Opportunity[] = [];
    for (const row of rows) {
      const cost = row.cost_usd;
      if (row.failed_calls < params.minFailedCalls || cost === null || cost <= 0) continue;
      const p99 = durations.find((d) => d.key === row.feature)?.duration_ms?.p99;
      const where = row.feature ?? "calls without a feature";
      const timeout = p99 === undefined ? undefined : Math.ceil((p99 * 1.5) / 1000);
      const timedOut = /timeout|timed.?out|deadline/i.test(row.error_type ?? "");
      found.push({
        kind: OpportunityKind.RETRY_WASTE,
        title: `Stop paying for failed ${where} attempts on ${row.model}`,
        scope: scopeOf({ feature: row.feature, model: row.model }),
        est_monthly_savings_usd: round(cost * frame.perMonth, 6),
        confidence: row.retried_calls >= row.failed_calls / 2 ? 0.8 : 0.6,
        evidence: {
          counts: {
            failed_billed_calls: row.failed_calls,
            retried_within_window: row.retried_calls,
            wasted_cost_usd: round(cost, 6),
            retried_cost_usd: round(row.retried_cost_usd ?? 0, 6),
            wasted_input_tokens: row.input_tokens,
            wasted_output_tokens: row.output_tokens,
            unpriced_calls: row.unpriced_calls,
          },
          query: "failedAttempts",
          example_record_ids: row.example_ids.slice(0, 5),
        },
        assumptions: [
          `Failed calls (status error${row.error_type === null ? "" : `, e.g. ${row.error_type}`}) that billed tokens gave ` +
            `nothing usable; ${row.retried_calls} of ${row.failed_calls} were re-sent within ${params.windowSeconds} s.`,
          timedOut
            ? "A longer client timeout lets the first attempt finish instead of paying for it twice."
            : "A cut stream or connection billed its tokens; resuming or a steadier connection avoids paying twice.",
          frame.periodNote,
        ],
        actions: [
          {
            step: !timedOut
              ? `Find and fix why ${where} calls fail after billing (${row.error_type ?? "errors"})`
              : timeout === undefined
                ? `Raise the client timeout of ${where} above its slowest successful calls`
                : `Raise the client timeout of ${where} to ${timeout} s (1.5x the p99 duration)`,
            detail: `Wasted attempts cost ${usd(cost)} over the period.`,
          },
          {
            step: "Retry only retryable errors, with exponential backoff and jitter, at most 2 attempts",
            detail: "Use streaming for long answers so a slow answer is not cut by the timeout and billed for nothing.",
          },
        ],
      });
    }
    return found;
  },
});
