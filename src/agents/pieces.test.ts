import { describe, expect, it } from "vitest";
import type { TokenPercentiles, UsageTotals } from "./tool-results.ts";
import { OpportunityKind } from "../protocol/names.ts";
import { ReportSchema, type Opportunity } from "../protocol/report.ts";
import { stepsFor, suggestedMaxTokens, type StepContext } from "./action-steps.ts";
import { planOf } from "./actions.ts";
import { writeDataGuide } from "./data-guide.ts";
import { directAnswer, overview } from "./executive-summary.ts";
import type { DataFindings, TriageResult } from "./hand-offs.ts";
import { Intent } from "./intent.ts";
import { plural, usd } from "./money.ts";
import { monthly } from "./monthly.ts";
import { vetOpportunity } from "./optimize.ts";
import { dataReport } from "./report-builder.ts";
import { reportMarkdown } from "./report-markdown.ts";
import { foreignNumbers } from "./summary-rewrite.ts";

const opportunity = (changes: Partial<Opportunity> = {}): Opportunity => ({
  kind: OpportunityKind.OUTPUT_TRUNCATION,
  title: "Raise max_tokens of support_chat",
  scope: { feature: "support_chat", model: "gpt-4o" },
  est_monthly_savings_usd: 12.5,
  confidence: 0.8,
  evidence: { counts: { calls: 120 }, query: "truncationRetries", example_record_ids: ["r1", "r2"] },
  assumptions: ["Monthly figures scale the 14 observed days to 30 days."],
  actions: [],
  ...changes,
});

const percentiles = (model: string, p99: number): TokenPercentiles => ({
  key: model,
  calls: 100,
  input_tokens: { p50: 100, p90: 200, p99: 300 },
  output_tokens: { p50: 50, p90: p99 / 2, p99 },
  duration_ms: { p50: 400, p90: 900, p99: 1500 },
});

const totals = (changes: Partial<UsageTotals> = {}): UsageTotals => ({
  records: 400,
  calls: 400,
  cost_usd: 140,
  unpriced_calls: 0,
  input_tokens: 90_000,
  output_tokens: 12_000,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  period: { from: "2026-01-05T00:00:00.000Z", to: "2026-01-18T23:00:00.000Z", days: 14 },
  ...changes,
});

const findings = (changes: Partial<DataFindings> = {}): DataFindings => ({
  scope: {},
  totals: totals(),
  by_model: [
    { key: "gpt-4o", records: 300, calls: 300, cost_usd: 120, unpriced_calls: 0, input_tokens: 80_000, output_tokens: 10_000, cache_read_tokens: 0 },
    { key: "gpt-4o-mini", records: 100, calls: 100, cost_usd: 20, unpriced_calls: 0, input_tokens: 10_000, output_tokens: 2_000, cache_read_tokens: 0 },
  ],
  by_feature: [{ key: null, records: 400, calls: 400, cost_usd: 140, unpriced_calls: 0, input_tokens: 90_000, output_tokens: 12_000, cache_read_tokens: 0 }],
  by_day: [],
  by_user: [],
  unpriced_models: [],
  percentiles: [percentiles("gpt-4o", 700)],
  ...changes,
});

const triage = (changes: Partial<TriageResult> = {}): TriageResult => ({
  intent: Intent.FIND_SAVINGS,
  entities: { time_range: null, models: [], features: [], users: [], budget: {}, sources: [] },
  scope: {},
  has_data: true,
  corpora: [{ corpus: "default", records: 400, calls: 400, cost_usd: 140, from: "2026-01-05T00:00:00.000Z", to: "2026-01-18T23:00:00.000Z" }],
  latest: "2026-01-18T23:00:00.000Z",
  classified_by: "rules",
  ...changes,
});

describe("Optimize keeps only findings with evidence", () => {
  it("drops findings without record ids, without savings, or without the opportunity shape", () => {
    expect(vetOpportunity(opportunity({ evidence: { counts: { calls: 5 }, query: "q", example_record_ids: [] } }), 14)).toBe("it cites no example records");
    expect(vetOpportunity(opportunity({ est_monthly_savings_usd: 0 }), 14)).toBe("it saves nothing");
    expect(vetOpportunity({ kind: "free_money" }, 14)).toBe("its result does not have the opportunity shape");
  });
  it("lowers the confidence of small samples and short periods and says why", () => {
    const kept = vetOpportunity(opportunity({ evidence: { counts: { calls: 5 }, query: "q", example_record_ids: ["r1"] } }), 3);
    if (typeof kept === "string") throw new Error(kept);
    expect(kept.confidence).toBeCloseTo(0.8 * 0.7 * 0.85, 2);
    expect(kept.assumptions.join(" ")).toMatch(/fewer than 20 calls/);
    expect(kept.assumptions.join(" ")).toMatch(/3\.0 days/);
  });
  it("keeps a well-founded finding as it is", () => {
    expect(vetOpportunity(opportunity(), 14)).toEqual(opportunity());
  });
});

describe("Actions", () => {
  const ctx: StepContext = { percentiles: [percentiles("gpt-4o", 700)], providerOf: (m) => (m.startsWith("claude") ? "anthropic" : "openai"), cheaperModels: () => ["gpt-4o-mini", "gpt-4.1-nano"] };
  it("suggests max_tokens from the p99 answer length plus 25%, rounded up to 64", () => {
    expect(suggestedMaxTokens([percentiles("gpt-4o", 700)], "gpt-4o")).toBe(896);
    expect(suggestedMaxTokens([percentiles("gpt-4o", 700)], "other")).toBe(896);
    expect(suggestedMaxTokens([], "gpt-4o")).toBeNull();
    expect(stepsFor(opportunity(), ctx)[0]?.step).toBe("Set max_tokens to 896 for feature support_chat on model gpt-4o");
  });
  it("names the target model, the cache breakpoint and the batch endpoint of the provider", () => {
    expect(stepsFor(opportunity({ kind: OpportunityKind.MODEL_RIGHTSIZING }), ctx)[0]?.step).toContain("gpt-4.1-nano");
    expect(stepsFor(opportunity({ kind: OpportunityKind.PROMPT_CACHING, scope: { model: "claude-sonnet-4" } }), ctx)[0]?.detail).toContain("cache_control");
    expect(stepsFor(opportunity({ kind: OpportunityKind.PROMPT_CACHING }), ctx)[0]?.detail).toContain("1,024 tokens");
    expect(stepsFor(opportunity({ kind: OpportunityKind.BATCH_API }), ctx)[0]?.detail).toContain("/v1/batches");
    expect(stepsFor(opportunity({ kind: OpportunityKind.RETRY_WASTE }), ctx)[1]?.detail).toMatch(/back-off/);
  });
  it("orders the plan by expected savings with each kind's effort", () => {
    const plan = planOf([opportunity(), opportunity({ kind: OpportunityKind.CONTEXT_BLOAT, est_monthly_savings_usd: 40, actions: [{ step: "Trim" }] })]);
    expect(plan).toEqual([
      { step: "Trim", opportunity_kind: OpportunityKind.CONTEXT_BLOAT, effort: "high", expected_savings_usd: 40 },
      { step: "Raise max_tokens of support_chat", opportunity_kind: OpportunityKind.OUTPUT_TRUNCATION, effort: "low", expected_savings_usd: 12.5 },
    ]);
  });
});

describe("the executive summary", () => {
  it("answers a spend question directly, with the computed figures", () => {
    const range = { from: "2026-01-12T00:00:00.000Z", to: "2026-01-19T00:00:00.000Z", phrase: "last week", explanation: "" };
    const t = triage({ intent: Intent.SPEND_QUESTION, entities: { time_range: range, models: [], features: ["support_chat"], users: [], budget: {}, sources: [] } });
    expect(directAnswer(t, findings())).toBe(
      'The support_chat feature cost $140.00 from 2026-01-12 to 2026-01-18 ("last week"): 400 calls, 90,000 input and 12,000 output tokens.',
    );
    expect(directAnswer(t, findings({ totals: totals({ calls: 0, cost_usd: null }) }))).toMatch(/has no calls/);
  });
  it("answers latency and comparison questions from the percentiles, and nothing for a savings request", () => {
    expect(directAnswer(triage({ intent: Intent.LATENCY }), findings())).toContain("gpt-4o 400 / 900 / 1,500 ms");
    expect(directAnswer(triage({ intent: Intent.COMPARE_MODELS }), findings())).toContain("gpt-4o: $120.00 over 300 calls ($0.4000 a call, p90 latency 900 ms)");
    expect(directAnswer(triage(), findings())).toBeNull();
  });
  it("writes the overview with totals, monthly rate, top opportunities and the budget target", () => {
    const report = dataReport(findings(), [opportunity()], undefined, []);
    const text = overview(report, triage({ entities: { time_range: null, models: [], features: [], users: [], budget: { cut_pct: 30 }, sources: [] } }));
    expect(text).toContain("you spent $140.00 on 400 calls, about $300.00 a month");
    expect(text).toContain("1 opportunity worth $12.50 a month");
    expect(text).toContain("Your target is a 30% cut; these changes reach about 4%, short of it.");
  });
  it("says the analyses did not finish rather than that there is nothing to save", () => {
    const report = dataReport(findings(), [], undefined, []);
    expect(overview(report, triage(), false)).toContain("did not finish");
    expect(overview(report, triage(), true)).toContain("No savings pattern shows");
  });
  it("accepts a rewrite only when its numbers come from the results", () => {
    expect(foreignNumbers("You spent $140.00 over 14 days.", "spent $140.00 in 14 days")).toEqual([]);
    expect(foreignNumbers("Save $1,200 a month.", "spent $140.00")).toEqual(["1200"]);
  });
});

describe("report pieces", () => {
  it("builds a schema-valid report with chart rows, monthly cost and a '(none)' key for missing features", () => {
    const report = ReportSchema.parse({ ...dataReport(findings(), [opportunity()], undefined, ["w"]), executive_summary: "s" });
    expect(report.totals.monthly_cost_usd).toBeCloseTo(300, 9);
    expect(report.breakdowns.by_feature[0]).toEqual({ key: "(none)", cost_usd: 140, calls: 400, tokens: 102_000 });
    expect(report.action_plan).toHaveLength(1);
    expect(reportMarkdown(report)).toContain("| gpt-4o | $120.00 | 300 | 90,000 |");
  });
  it("scales to a month and formats money and counts", () => {
    expect(monthly(10, 15)).toBe(20);
    expect(monthly(1, 0)).toBe(720);
    expect(usd(1234.567)).toBe("$1,234.57");
    expect(usd(0.00123456)).toBe("$0.001235");
    expect(usd(null)).toMatch(/unpriced/);
    expect(plural(2, "opportunity")).toBe("2 opportunities");
    expect(plural(1, "call")).toBe("1 call");
  });
  it("writes the Data Guide for the tools the user named, or all of them", () => {
    const named = writeDataGuide(["langfuse"], []);
    expect(named.sources).toEqual(["langfuse"]);
    expect(named.text).toContain("apex ingest <file> --format langfuse");
    expect(writeDataGuide([], []).sources).toHaveLength(7);
  });
});
