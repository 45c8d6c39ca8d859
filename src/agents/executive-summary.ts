import type { Report } from "../protocol/report.ts";
import type { Budget, DataFindings, TriageResult } from "./hand-offs.ts";
import { Intent } from "./intent.ts";
import { count, plural, usd } from "./money.ts";

// The templated executive summary: a direct answer first when the user asked something specific, then the overview,
// every number taken from the computed results. An LLM may rewrite the overview; it never writes the numbers.

const day = (iso: string | null | undefined): string => (iso ?? "").slice(0, 10);
const pct = (part: number, whole: number): string => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : "0%");

function when(triage: TriageResult, data: DataFindings): string {
  const range = triage.entities.time_range;
  if (range !== null) {
    const lastDay = new Date(Date.parse(range.to) - 1).toISOString().slice(0, 10);
    return `from ${day(range.from)} to ${lastDay} ("${range.phrase}")`;
  }
  return `from ${day(data.totals.period.from)} to ${day(data.totals.period.to)}`;
}

function subject(triage: TriageResult): string {
  const { features, models } = triage.entities;
  const f = features.length === 0 ? "" : `the ${features.join(" and ")} feature${features.length === 1 ? "" : "s"}`;
  const m = models.length === 0 ? "" : `model${models.length === 1 ? "" : "s"} ${models.join(", ")}`;
  if (f && m) return `${f} on ${m}`;
  return f || m || "your LLM usage";
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The one-paragraph answer to a specific question, or null for overview and savings requests. */
export function directAnswer(triage: TriageResult, data: DataFindings | undefined): string | null {
  if (data === undefined) return null;
  const t = data.totals;
  switch (triage.intent) {
    case Intent.SPEND_QUESTION: {
      if (triage.entities.users.length > 0) {
        const rows = triage.entities.users.map((user) => {
          const row = data.by_user.find((r) => r.key === user);
          return row === undefined ? `user ${user} made no calls in that scope` : `user ${user} cost ${usd(row.cost_usd)} over ${plural(row.calls, "call")}`;
        });
        return `${capital(rows.join("; "))} ${when(triage, data)}.`;
      }
      if (t.calls === 0) return `${capital(subject(triage))} has no calls ${when(triage, data)}, so it cost nothing in that period.`;
      const unpriced = t.unpriced_calls > 0 ? ` ${plural(t.unpriced_calls, "call")} of models without a price are not in that figure.` : "";
      return `${capital(subject(triage))} cost ${usd(t.cost_usd)} ${when(triage, data)}: ${plural(t.calls, "call")}, ${count(t.input_tokens)} input and ${count(t.output_tokens)} output tokens.${unpriced}`;
    }
    case Intent.LATENCY: {
      const rows = data.percentiles.filter((p) => p.duration_ms !== null);
      if (rows.length === 0) return "Your logs carry no durations, so latency cannot be measured: log duration_ms (and ttft_ms) with each call.";
      const list = rows.slice(0, 6).map((p) => `${p.key ?? "unnamed"} ${count(Math.round(p.duration_ms?.p50 ?? 0))} / ${count(Math.round(p.duration_ms?.p90 ?? 0))} / ${count(Math.round(p.duration_ms?.p99 ?? 0))} ms`);
      return `Latency by model ${when(triage, data)} (p50 / p90 / p99): ${list.join("; ")}.`;
    }
    case Intent.COMPARE_MODELS: {
      const named = triage.entities.models;
      const rows = (named.length >= 2 ? data.by_model.filter((r) => r.key !== null && named.includes(r.key)) : data.by_model.slice(0, 2));
      if (rows.length === 0) return null;
      const list = rows.map((r) => {
        const p = data.percentiles.find((x) => x.key === r.key);
        const perCall = r.cost_usd === null || r.calls === 0 ? "unknown" : usd(r.cost_usd / r.calls);
        const latency = p?.duration_ms ? `, p90 latency ${count(Math.round(p.duration_ms.p90))} ms` : "";
        return `${r.key}: ${usd(r.cost_usd)} over ${plural(r.calls, "call")} (${perCall} a call${latency})`;
      });
      return `Comparing ${when(triage, data)}: ${list.join("; ")}.`;
    }
    case Intent.ADMIN: {
      const list = triage.corpora.map((c) => `${c.corpus} (${plural(c.records, "record")}, ${usd(c.cost_usd)}, ${day(c.from)} to ${day(c.to)})`);
      return `You have ${plural(triage.corpora.length, "dataset")}: ${list.join("; ")}. Datasets are managed (renamed, deleted, priced per tenant) in the corpus admin.`;
    }
    default:
      return null;
  }
}

function budgetLine(budget: Budget, savings: number, monthlyCost: number): string {
  const reach = monthlyCost > 0 ? (savings / monthlyCost) * 100 : 0;
  const parts: string[] = [];
  if (budget.cut_pct !== undefined) {
    parts.push(`Your target is a ${budget.cut_pct}% cut; these changes reach about ${reach.toFixed(0)}%${reach >= budget.cut_pct ? ", which meets it" : ", short of it"}.`);
  }
  if (budget.target_monthly_usd !== undefined) {
    const after = monthlyCost - savings;
    parts.push(`Your target is ${usd(budget.target_monthly_usd)} a month; after these changes spend would be about ${usd(after)} a month${after <= budget.target_monthly_usd ? ", within it" : ", still above it"}.`);
  }
  return parts.join(" ");
}

/** The overview paragraph(s) of a report built from data. */
export function overview(report: Report, triage: TriageResult, analysed = true): string {
  const { totals, period, breakdowns, opportunities } = report;
  if (totals.calls === 0) return "No calls match this request, so there is nothing to analyse in that scope; widen the period or check the names.";
  const lines: string[] = [];
  const top = breakdowns.by_model[0];
  const topFeature = breakdowns.by_feature.find((r) => r.key !== "(none)");
  lines.push(
    `From ${day(period.from)} to ${day(period.to)} (${period.days.toFixed(1)} days) you spent ${usd(totals.cost_usd)} on ${plural(totals.calls, "call")}, about ${usd(totals.monthly_cost_usd)} a month at this rate.` +
      (top ? ` ${top.key} is the largest model at ${usd(top.cost_usd)} (${pct(top.cost_usd, totals.cost_usd)}).` : "") +
      (topFeature ? ` The costliest feature is ${topFeature.key} at ${usd(topFeature.cost_usd)}.` : ""),
  );
  if (!analysed) {
    lines.push("The savings analyses did not finish, so this report shows where the money goes but no opportunities; run it again to get them.");
  } else if (opportunities.length === 0) {
    lines.push("No savings pattern shows in this data (none of the eight analyses found evidence), so none is reported.");
  } else {
    const list = opportunities.slice(0, 3).map((o) => `${o.title} (${usd(o.est_monthly_savings_usd)} a month)`);
    lines.push(
      `Apex found ${plural(opportunities.length, "opportunity")} worth ${usd(report.total_est_monthly_savings_usd)} a month, ${pct(report.total_est_monthly_savings_usd, totals.monthly_cost_usd)} of your spend. Largest: ${list.join("; ")}.`,
    );
  }
  const budget = budgetLine(triage.entities.budget, report.total_est_monthly_savings_usd, totals.monthly_cost_usd);
  if (budget) lines.push(budget);
  if (report.unpriced_models.length > 0) {
    lines.push(`Models without a price (${report.unpriced_models.join(", ")}) are left out of the costs; add them with --prices.`);
  }
  return lines.join("\n\n");
}
