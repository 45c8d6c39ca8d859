import { Fragment, useState } from "react";
import { count, usd } from "../protocol/money.ts";
import { OpportunityKind, type OpportunityKindName } from "../protocol/names.ts";
import type { Opportunity, Report } from "../protocol/report.ts";
import { CostChart } from "./cost-chart.tsx";
import { saveFile } from "./file-download.ts";
import { exportReport, type ExportFormat } from "./report-export.ts";

// The report of a run (`final_report`): the two numbers that matter first, the summary, the opportunities (each row
// opens to its evidence and actions), the action plan as a checklist, the cost charts, and the downloads.

const KIND_LABEL: Record<OpportunityKindName, string> = {
  [OpportunityKind.MODEL_RIGHTSIZING]: "Model right-sizing",
  [OpportunityKind.PROMPT_CACHING]: "Prompt caching",
  [OpportunityKind.RESPONSE_CACHING]: "Response caching",
  [OpportunityKind.BATCH_API]: "Batch API",
  [OpportunityKind.PRIORITY_TIER]: "Priority tier",
  [OpportunityKind.OUTPUT_TRUNCATION]: "Output truncation",
  [OpportunityKind.RETRY_WASTE]: "Retry waste",
  [OpportunityKind.CONTEXT_BLOAT]: "Context bloat",
};

function scopeText(scope: Record<string, string>): string {
  const parts = Object.entries(scope).map(([key, value]) => `${key}: ${value}`);
  return parts.length === 0 ? "all traffic" : parts.join(", ");
}

/** The headline evidence of an opportunity: each analysis puts the count it found first (calls, sessions, requests). */
function Evidence({ opportunity }: { opportunity: Opportunity }) {
  const first = Object.entries(opportunity.evidence.counts)[0];
  if (first === undefined) return <span className="muted">{opportunity.evidence.example_record_ids.length} examples</span>;
  return (
    <>
      {count(first[1])}
      <div className="muted small">{first[0].replace(/_/g, " ")}</div>
    </>
  );
}

function download(report: Report, format: ExportFormat): void {
  const file = exportReport(report, format);
  saveFile(new Blob([file.text], { type: file.mime }), file.name);
}

function OpportunityDetails({ opportunity }: { opportunity: Opportunity }) {
  return (
    <div className="opportunity-details">
      <div>
        <h4>Actions</h4>
        <ol>
          {opportunity.actions.map((action, i) => (
            <li key={i}>
              {action.step}
              {action.detail !== undefined && <div className="muted small">{action.detail}</div>}
            </li>
          ))}
        </ol>
      </div>
      <div>
        <h4>Evidence</h4>
        <ul className="evidence">
          {Object.entries(opportunity.evidence.counts).map(([key, value]) => (
            <li key={key}>
              {key.replace(/_/g, " ")}: <strong>{count(value)}</strong>
            </li>
          ))}
        </ul>
        {opportunity.evidence.example_record_ids.length > 0 && (
          <p className="small muted">Example records: {opportunity.evidence.example_record_ids.join(", ")}</p>
        )}
        <code className="query">{opportunity.evidence.query}</code>
        {opportunity.assumptions.length > 0 && (
          <>
            <h4>Assumptions</h4>
            <ul>
              {opportunity.assumptions.map((a, i) => (
                <li key={i}>{a}</li>
              ))}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}

function Opportunities({ opportunities }: { opportunities: Opportunity[] }) {
  const [open, setOpen] = useState<number | null>(null);
  if (opportunities.length === 0) return <p className="muted">No savings opportunity was found in this data.</p>;
  return (
    <table className="opportunities">
      <thead>
        <tr>
          <th>Opportunity</th>
          <th>Scope</th>
          <th className="num">Monthly savings</th>
          <th className="num">Confidence</th>
          <th className="num">Evidence</th>
        </tr>
      </thead>
      <tbody>
        {opportunities.map((o, i) => (
          <Fragment key={i}>
            <tr
              className={open === i ? "opportunity open" : "opportunity"}
              data-testid="opportunity-row"
              data-kind={o.kind}
              aria-expanded={open === i}
              onClick={() => setOpen(open === i ? null : i)}
            >
              <td>
                <span className="chevron" aria-hidden="true">
                  {open === i ? "▾" : "▸"}
                </span>
                <span className="kind">{KIND_LABEL[o.kind]}</span>
                <div className="title">{o.title}</div>
              </td>
              <td className="scope">{scopeText(o.scope)}</td>
              <td className="num savings">{usd(o.est_monthly_savings_usd)}</td>
              <td className="num">
                <span className="confidence" style={{ ["--c" as string]: `${Math.round(o.confidence * 100)}%` }}>
                  {Math.round(o.confidence * 100)}%
                </span>
              </td>
              <td className="num">
                <Evidence opportunity={o} />
              </td>
            </tr>
            {open === i && (
              <tr className="opportunity-expanded">
                <td colSpan={5}>
                  <OpportunityDetails opportunity={o} />
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}

function ActionPlan({ report }: { report: Report }) {
  const [done, setDone] = useState<ReadonlySet<number>>(new Set());
  if (report.action_plan.length === 0) return null;
  const toggle = (i: number) => {
    const next = new Set(done);
    if (next.has(i)) next.delete(i);
    else next.add(i);
    setDone(next);
  };
  return (
    <section>
      <h3>Action plan</h3>
      <ul className="checklist" data-testid="action-plan">
        {report.action_plan.map((step, i) => (
          <li key={i} className={done.has(i) ? "checked" : ""}>
            <label>
              <input type="checkbox" checked={done.has(i)} onChange={() => toggle(i)} />
              <span className="step-text">{step.step}</span>
              <span className={`effort effort-${step.effort}`}>{step.effort} effort</span>
              <span className="savings">{usd(step.expected_savings_usd)}/mo</span>
            </label>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function ReportView({ report }: { report: Report }) {
  const monthly = report.totals.monthly_cost_usd;
  const savings = report.total_est_monthly_savings_usd;
  const share = monthly > 0 ? Math.round((savings / monthly) * 100) : 0;
  return (
    <article className="report" data-testid="report">
      <div className="headline">
        <div className="figure">
          <div className="figure-label">Monthly spend</div>
          <div className="figure-value" data-testid="total-spend">
            {usd(monthly)}
          </div>
          <div className="figure-note">
            {usd(report.totals.cost_usd)} over {report.period.days.toFixed(0)} days · {count(report.totals.calls)} calls
          </div>
        </div>
        <div className="figure figure-savings">
          <div className="figure-label">Estimated savings</div>
          <div className="figure-value" data-testid="total-savings">
            {usd(savings)}
            <span className="per">/mo</span>
          </div>
          <div className="figure-note">
            {share}% of spend · {report.opportunities.length} opportunities
          </div>
        </div>
      </div>
      <p className="summary">{report.executive_summary}</p>
      {report.unpriced_models.length > 0 && (
        <p className="notice">Not priced (add them to a price file to include them): {report.unpriced_models.join(", ")}</p>
      )}
      <h3>Opportunities</h3>
      <Opportunities opportunities={report.opportunities} />
      <ActionPlan report={report} />
      {report.breakdowns.by_day.length > 0 && (
        <section className="charts">
          <CostChart testId="chart-by-day" title="Cost by day" rows={report.breakdowns.by_day} axis="time" />
          <CostChart testId="chart-by-model" title="Cost by model" rows={report.breakdowns.by_model} axis="category" />
          <CostChart testId="chart-by-feature" title="Cost by feature" rows={report.breakdowns.by_feature} axis="category" />
        </section>
      )}
      <footer className="exports">
        <button className="secondary" data-testid="export-markdown" onClick={() => download(report, "markdown")}>
          Export Markdown
        </button>
        <button className="secondary" data-testid="export-json" onClick={() => download(report, "json")}>
          Export JSON
        </button>
      </footer>
    </article>
  );
}
