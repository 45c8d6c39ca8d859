import type { UsageQueries } from "../analytics/store.ts";
import { OpportunityKind } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import type { PriceBook } from "../pricing/price-book.ts";
import { type AnalysisFrame, round } from "./analysis-tool.ts";
import { scopeOf } from "./opportunity.ts";
import { costOfTokens } from "./token-cost.ts";

// The second half of context_bloat: calls whose input crosses a long-context price tier (Gemini Pro, Claude Sonnet 4.5
// above 200k tokens bill the whole request at up to twice the rate). Savings: the calls as billed minus the same calls
// trimmed to the tier's threshold and billed at the base rates (same outputs, no cache reads assumed).

export async function longContextCrossings(
  frame: AnalysisFrame,
  usage: UsageQueries,
  book: PriceBook,
  minCalls: number,
): Promise<Opportunity[]> {
  const models = await usage.breakdown(frame.scope, "model");
  const found: Opportunity[] = [];
  for (const { key: model } of models) {
    const prices = model === null ? undefined : book.lookup(model);
    const tier = prices?.long_context[0];
    if (model === null || tier === undefined) continue;
    const threshold = tier.above_input_tokens;
    for (const row of await usage.longInputCalls({ ...frame.scope, models: [model] }, threshold)) {
      const cost = row.cost_usd;
      if (row.calls - row.unpriced_calls < minCalls || cost === null || cost <= 0) continue;
      const priced = row.calls - row.unpriced_calls;
      const trimmed = costOfTokens(
        book,
        { calls: priced, input_tokens: priced * threshold, output_tokens: row.output_tokens, cache_read_tokens: 0, cache_write_tokens: 0 },
        { model: row.model, provider: row.provider, at: frame.totals.period.to },
      );
      if (trimmed === null || trimmed >= cost) continue;
      const observed = cost - trimmed;
      const where = row.feature ?? "calls without a feature";
      found.push({
        kind: OpportunityKind.CONTEXT_BLOAT,
        title: `Keep ${where} prompts on ${row.model} under the ${threshold.toLocaleString("en-US")}-token price tier`,
        scope: scopeOf({ feature: row.feature, model: row.model }),
        est_monthly_savings_usd: round(observed * frame.perMonth, 6),
        confidence: 0.55,
        evidence: {
          counts: {
            calls_above_tier: row.calls,
            tier_threshold_tokens: threshold,
            mean_input_tokens: Math.round(row.input_tokens / row.calls),
            cost_usd: round(cost, 6),
            trimmed_cost_usd: round(trimmed, 6),
          },
          query: "longInputCalls",
          example_record_ids: row.example_ids.slice(0, 5),
        },
        assumptions: [
          `Above ${threshold} input tokens ${row.model} bills the whole request at its long-context rates.`,
          `Trimmed to ${threshold} tokens (retrieval top-k, older turns dropped) the calls bill at the base rates; ` +
            "outputs unchanged, no cache reads assumed.",
          frame.periodNote,
        ],
        actions: [
          {
            step: `Cap the prompt of ${where} at ${threshold.toLocaleString("en-US")} tokens`,
            detail: "Count tokens before sending; drop the oldest history or the lowest-ranked retrieved passages first.",
          },
        ],
      });
    }
  }
  return found;
}
