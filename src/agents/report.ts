import type { UsageTotals } from "./tool-results.ts";
import { AgentName, ToolName } from "../protocol/names.ts";
import { ReportSchema, type Opportunity, type Report } from "../protocol/report.ts";
import type { Agent, AgentInput } from "../runtime/agent.ts";
import type { ApexServices } from "../tools/services.ts";
import { directAnswer, overview } from "./executive-summary.ts";
import type { ActionsResult, DataFindings, DataGuide, TriageResult } from "./hand-offs.ts";
import { agentLlm } from "./llm-fallback.ts";
import { MetadataKey } from "./metadata-keys.ts";
import { plural, usd } from "./money.ts";
import { dataReport, emptyReport } from "./report-builder.ts";
import { rewriteOverview } from "./summary-rewrite.ts";
import { skipForDatasetRun } from "./skip-rules.ts";

// Report: the structured report of analytics.md with its executive summary (a direct answer first for a specific
// question), validated against the schema and emitted as `final_report`.

async function summarize(input: AgentInput<ApexServices>, report: Report, triage: TriageResult, data: DataFindings): Promise<string> {
  const answer = directAnswer(triage, data);
  if (answer !== null) await input.think(`Answering your question first: ${answer}`);
  const draft = overview(report, triage, input.metadata.has(MetadataKey.OPPORTUNITIES));
  let body = draft;
  const { llm, flush } = agentLlm(input.services.llm, input.think);
  if (llm.capabilities.freeText && report.totals.calls > 0) {
    await input.think(`Asking ${llm.primary.name} (${llm.primary.model}) to word the summary, with the numbers fixed to the computed ones.`);
    const facts = JSON.stringify({ totals: report.totals, period: report.period, opportunities: report.opportunities.map((o) => ({ title: o.title, est_monthly_savings_usd: o.est_monthly_savings_usd })), total_est_monthly_savings_usd: report.total_est_monthly_savings_usd });
    const outcome = await rewriteOverview(llm, draft, facts, input.signal);
    await flush();
    if (outcome.kind === "rewritten") body = outcome.text;
    else await input.think(`Keeping the computed summary: ${outcome.reason}.`);
  }
  return answer === null ? body : `${answer}\n\n${body}`;
}

export const reportAgent: Agent<ApexServices> = {
  name: AgentName.REPORT,
  description: "Writing the report: the summary, spend by model, feature and day, the opportunities and the action plan.",
  // A run that generates or manages a dataset writes its own short report.
  skip: skipForDatasetRun,
  async run(input) {
    const { metadata, tools, think, report } = input;
    const triage = metadata.get<TriageResult>(MetadataKey.TRIAGE) as TriageResult | undefined;
    const data = metadata.get<DataFindings>(MetadataKey.DATA) as DataFindings | undefined;
    const guide = metadata.get<DataGuide>(MetadataKey.DATA_GUIDE) as DataGuide | undefined;
    const warnings = metadata.get<string[]>(MetadataKey.WARNINGS, []) as string[];
    // The totals again, straight from the store: a report never disagrees with the data it claims to describe.
    const check = await tools.call<UsageTotals>(ToolName.USAGE_TOTALS, { scope: data?.scope ?? triage?.scope ?? {} });

    let body: Report;
    if (triage === undefined || data === undefined) {
      const guideText = guide?.text ?? "No usage data is loaded yet: export your LLM call logs and load them with `apex ingest <file>`.";
      await think(check.records === 0 ? "There is no usage data, so the report is the guide to getting it in." : "The data step did not run, so the report carries only the guide.");
      body = emptyReport(guideText, warnings);
    } else {
      const found = metadata.get<Opportunity[]>(MetadataKey.OPPORTUNITIES, []) as Opportunity[];
      const actions = metadata.get<ActionsResult>(MetadataKey.ACTIONS) as ActionsResult | undefined;
      const extra = check.records === data.totals.records ? [] : [`The data changed while the report was written (${data.totals.records} records, now ${check.records}).`];
      if (!metadata.has(MetadataKey.OPPORTUNITIES)) extra.push("The savings analyses did not finish: no opportunities are listed.");
      body = dataReport(data, found, actions, [...warnings, ...extra]);
      await think(`Summarizing ${plural(body.totals.calls, "call")} and ${usd(body.totals.cost_usd)} of spend, with ${plural(body.opportunities.length, "opportunity")} worth ${usd(body.total_est_monthly_savings_usd)} a month.`);
      const summary = await summarize(input, body, triage, data);
      body = { ...body, executive_summary: guide === undefined ? summary : `${summary}\n\n${guide.text}` };
    }
    const pin = input.services.catalogPin;
    const validated = ReportSchema.parse(pin === undefined ? body : { ...body, catalog: pin });
    await report(validated);
    return { summary: validated.opportunities.length > 0 ? `${plural(validated.opportunities.length, "opportunity")}, ${usd(validated.total_est_monthly_savings_usd)} a month.` : "Report written." };
  },
};
