import { describe, expect, it } from "vitest";
import { OpportunityKind } from "../protocol/names.ts";
import { ReportSchema } from "../protocol/report.ts";
import { exportReport } from "./report-export.ts";

const report = ReportSchema.parse({
  period: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-31T00:00:00.000Z", days: 30 },
  totals: { cost_usd: 1200, monthly_cost_usd: 1200, calls: 5000, input_tokens: 1_000_000, output_tokens: 200_000 },
  breakdowns: { by_model: [{ key: "gpt-4o", cost_usd: 1200, calls: 5000, tokens: 1_200_000 }], by_feature: [], by_day: [] },
  opportunities: [
    {
      kind: OpportunityKind.PROMPT_CACHING,
      title: "Cache the support bot's system prompt",
      scope: { feature: "support" },
      est_monthly_savings_usd: 300,
      confidence: 0.8,
      evidence: { counts: { calls: 4000 }, query: "prefix_hash repeats", example_record_ids: ["r1"] },
      assumptions: [],
      actions: [{ step: "Enable prompt caching" }],
    },
  ],
  total_est_monthly_savings_usd: 300,
  unpriced_models: [],
  data_quality: { records: 5000, rejected: 0, warnings: [] },
  executive_summary: "You spend $1,200.00 a month; $300.00 of it can be saved.",
  action_plan: [{ step: "Enable prompt caching", opportunity_kind: OpportunityKind.PROMPT_CACHING, effort: "low", expected_savings_usd: 300 }],
});

describe("report export", () => {
  it("writes the JSON of the report, which parses back to the same report", () => {
    const file = exportReport(report, "json");
    expect(file).toMatchObject({ name: "apex-report-2026-01-01-to-2026-01-31.json", mime: "application/json" });
    expect(ReportSchema.parse(JSON.parse(file.text))).toEqual(report);
  });

  it("writes the Markdown with the summary, the savings and the plan", () => {
    const file = exportReport(report, "markdown");
    expect(file.name).toBe("apex-report-2026-01-01-to-2026-01-31.md");
    expect(file.text).toContain(report.executive_summary);
    expect(file.text).toContain("Cache the support bot's system prompt");
    expect(file.text).toContain("$300.00 a month");
    expect(file.text).toContain("## Action plan");
  });
});
