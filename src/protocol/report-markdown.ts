import type { BreakdownRow, Report } from "./report.ts";
import { count, usd } from "./money.ts";

// The report as Markdown, for terminals and chat surfaces: summary, totals, breakdowns, opportunities, plan.

const TOP_ROWS = 10;

function table(title: string, rows: readonly BreakdownRow[], limit = TOP_ROWS): string {
  if (rows.length === 0) return "";
  const shown = rows.slice(0, limit);
  const lines = shown.map((r) => `| ${r.key} | ${usd(r.cost_usd)} | ${count(r.calls)} | ${count(r.tokens)} |`);
  const more = rows.length > limit ? `\n\n…and ${rows.length - limit} more.` : "";
  return `### ${title}\n\n| | cost | calls | tokens |\n|---|---:|---:|---:|\n${lines.join("\n")}${more}`;
}

export function reportMarkdown(report: Report): string {
  const parts: string[] = ["# Apex report", report.executive_summary];
  if (report.totals.calls > 0) {
    const t = report.totals;
    parts.push(
      `## Totals\n\n- Period: ${report.period.from} to ${report.period.to} (${report.period.days.toFixed(1)} days)\n` +
        `- Spend: ${usd(t.cost_usd)} (about ${usd(t.monthly_cost_usd)} a month)\n- Calls: ${count(t.calls)}\n` +
        `- Tokens: ${count(t.input_tokens)} input, ${count(t.output_tokens)} output`,
    );
    parts.push(
      ["## Breakdowns", table("By model", report.breakdowns.by_model), table("By feature", report.breakdowns.by_feature), table("By day", report.breakdowns.by_day, 31)]
        .filter((s) => s !== "")
        .join("\n\n"),
    );
  }
  if (report.opportunities.length > 0) {
    const items = report.opportunities.map((o, i) => {
      const actions = o.actions.map((a) => `   - ${a.step}${a.detail ? `: ${a.detail}` : ""}`).join("\n");
      const ids = o.evidence.example_record_ids.join(", ");
      return `${i + 1}. **${o.title}**: ${usd(o.est_monthly_savings_usd)} a month, confidence ${Math.round(o.confidence * 100)}% (${o.kind})\n${actions}\n   - Evidence: ${ids}`;
    });
    parts.push(`## Opportunities (${usd(report.total_est_monthly_savings_usd)} a month in all)\n\n${items.join("\n")}`);
  }
  if (report.action_plan.length > 0) {
    const rows = report.action_plan.map((s, i) => `| ${i + 1} | ${s.step} | ${s.effort} | ${usd(s.expected_savings_usd)} |`);
    parts.push(`## Action plan\n\n| # | step | effort | saves a month |\n|---:|---|---|---:|\n${rows.join("\n")}`);
  }
  const dq = report.data_quality;
  if (dq.records > 0 || dq.rejected > 0 || dq.warnings.length > 0) {
    const warnings = dq.warnings.map((w) => `- ${w}`).join("\n");
    parts.push(`## Data quality\n\n${count(dq.records)} records analysed, ${count(dq.rejected)} rejected at ingest.${warnings ? `\n\n${warnings}` : ""}`);
  }
  return `${parts.join("\n\n")}\n`;
}
