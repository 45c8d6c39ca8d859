import type { UsageBreakdownRow } from "./tool-results.ts";
import type { BreakdownRow, Opportunity, Report } from "../protocol/report.ts";
import { planOf } from "./actions.ts";
import type { ActionsResult, DataFindings } from "./hand-offs.ts";
import { monthly } from "./monthly.ts";

// The report of analytics.md assembled from what the agents handed on; the executive summary is filled in after.

/** Breakdown rows for charts; a row without the dimension (no feature logged) is keyed "(none)". */
function chartRows(rows: readonly UsageBreakdownRow[]): BreakdownRow[] {
  return rows.map((r) => ({ key: r.key ?? "(none)", cost_usd: r.cost_usd ?? 0, calls: r.calls, tokens: r.input_tokens + r.output_tokens }));
}

export function emptyReport(summary: string, warnings: readonly string[]): Report {
  return {
    period: { from: "", to: "", days: 0 },
    totals: { cost_usd: 0, monthly_cost_usd: 0, calls: 0, input_tokens: 0, output_tokens: 0 },
    breakdowns: { by_model: [], by_feature: [], by_day: [] },
    opportunities: [],
    total_est_monthly_savings_usd: 0,
    unpriced_models: [],
    data_quality: { records: 0, rejected: 0, warnings: [...warnings] },
    executive_summary: summary,
    action_plan: [],
  };
}

export function dataReport(data: DataFindings, found: readonly Opportunity[], actions: ActionsResult | undefined, warnings: readonly string[]): Report {
  const t = data.totals;
  const opportunities = [...(actions?.opportunities ?? found)].sort((a, b) => b.est_monthly_savings_usd - a.est_monthly_savings_usd);
  const cost = t.cost_usd ?? 0;
  const quality = [...warnings];
  if (t.unpriced_calls > 0) quality.push(`${t.unpriced_calls} calls of models without a price are not counted in the costs.`);
  return {
    period: { from: t.period.from ?? "", to: t.period.to ?? "", days: t.period.days },
    totals: { cost_usd: cost, monthly_cost_usd: monthly(cost, t.period.days), calls: t.calls, input_tokens: t.input_tokens, output_tokens: t.output_tokens },
    breakdowns: { by_model: chartRows(data.by_model), by_feature: chartRows(data.by_feature), by_day: chartRows(data.by_day) },
    opportunities,
    total_est_monthly_savings_usd: opportunities.reduce((s, o) => s + o.est_monthly_savings_usd, 0),
    unpriced_models: data.unpriced_models.map((u) => u.model),
    data_quality: { records: t.records, rejected: 0, warnings: quality },
    executive_summary: "",
    action_plan: actions?.action_plan ?? planOf(opportunities),
  };
}
