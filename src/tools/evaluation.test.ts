import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnswerKey } from "../analytics/generator/answer-key.ts";
import { openUsageStore } from "../analytics/open-usage-store.ts";
import { NO_WASTE } from "../analytics/generator/saas-scenario.ts";
import type { UsageStore } from "../analytics/store.ts";
import { OpportunityKind } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { MIN_PRECISION, MIN_RECALL, type RunScore, SAVINGS_TOLERANCE, scoreRun, summarize } from "./evaluation.ts";
import { runEvalCase } from "./evaluation-run.ts";

// The acceptance thresholds of the savings analyses, on a small version of `npm run eval`, plus the scoring itself
// on hand-made findings.

const KEY: AnswerKey = {
  version: 1, scenario: "saas", seed: 1, records: 100,
  period: { from: "2026-01-05T00:00:00.000Z", to: "2026-01-06T00:00:00.000Z", days: 1 },
  waste_rates: {}, price_source: "test", totals: { cost_usd: 10, monthly_cost_usd: 300, unpriced_records: 0 },
  opportunities: [
    { kind: "batch_api", scope: { feature: "digest", model: "m1" }, affected_records: 10, record_ids: [], record_ids_complete: false, observed_savings_usd: 1, true_monthly_savings_usd: 30, unpriced_records: 0, pattern: "", counterfactual: "" },
    { kind: "prompt_caching", scope: { feature: "kb", model: "m2" }, affected_records: 10, record_ids: [], record_ids_complete: false, observed_savings_usd: -1, true_monthly_savings_usd: -30, unpriced_records: 0, pattern: "", counterfactual: "" },
  ],
};

function finding(kind: Opportunity["kind"], scope: Record<string, string>, savings: number): Opportunity {
  return { kind, title: "t", scope, est_monthly_savings_usd: savings, confidence: 0.5, evidence: { counts: {}, query: "q", example_record_ids: [] }, assumptions: [], actions: [] };
}

describe("scoring", () => {
  it("matches on feature and model, measures the savings error and counts the rest as false positives", () => {
    const score = scoreRun(
      [
        finding("batch_api", { feature: "digest", model: "m1" }, 33),
        finding("batch_api", { feature: "other", model: "m1" }, 5),
        finding("prompt_caching", { feature: "kb", model: "m2" }, 4),
      ],
      KEY,
    );
    const [batch] = summarize([score]).filter((s) => s.kind === "batch_api");
    expect(batch).toMatchObject({ planted: 1, found: 1, reported: 2, false_positives: 1, recall: 1, precision: 0.5 });
    expect(batch?.max_abs_savings_error).toBeCloseTo(0.1, 9);
    expect(batch?.pass).toBe(false);
    // Caching that truly loses money is no opportunity: not expected, and reporting it is a false positive.
    const [caching] = summarize([score]).filter((s) => s.kind === "prompt_caching");
    expect(caching).toMatchObject({ planted: 0, reported: 1, false_positives: 1, precision: 0 });
  });

  it("counts a planted opportunity missed, or found under the wrong model", () => {
    const score = scoreRun([finding("batch_api", { feature: "digest", model: "m9" }, 30)], KEY);
    expect(summarize([score]).find((s) => s.kind === "batch_api")).toMatchObject({ recall: 0, precision: 0, pass: false });
  });
});

describe("acceptance on generated workloads (2 seeds of saas, devtools and their no-waste traffic)", () => {
  let store: UsageStore;
  const runs: RunScore[] = [];
  const book = new PriceBook();
  beforeAll(async () => {
    store = await openUsageStore({ path: ":memory:" });
    for (const seed of [11, 12]) {
      for (const c of [
        { label: "saas", scenario: "saas", records: 15_000 },
        { label: "devtools", scenario: "devtools", records: 15_000 },
        { label: "clean", scenario: "clean", records: 8_000 },
        { label: "devtools-clean", scenario: "devtools", records: 8_000, wasteRates: NO_WASTE },
      ] as const) {
        runs.push((await runEvalCase({ ...c, seed, days: 30 }, book, store)).score);
      }
    }
  }, 120_000);
  afterAll(async () => store?.close());

  it("finds every planted kind with its scope, invents none, and estimates savings within tolerance", () => {
    const summaries = summarize(runs);
    for (const s of summaries) {
      expect.soft(s.recall, `${s.kind} recall`).toBeGreaterThanOrEqual(MIN_RECALL);
      expect.soft(s.precision, `${s.kind} precision`).toBeGreaterThanOrEqual(MIN_PRECISION);
      expect.soft(s.max_abs_savings_error ?? 0, `${s.kind} savings error`).toBeLessThanOrEqual(SAVINGS_TOLERANCE[s.kind]);
    }
    // Every kind is planted with positive savings in these runs, so recall is measured for each.
    expect(summaries.filter((s) => s.planted >= 2).map((s) => s.kind)).toEqual(Object.values(OpportunityKind));
  });

  it("reports nothing on traffic without waste", () => {
    for (const run of runs.filter((r) => r.scenario.endsWith("clean"))) {
      expect(Object.values(run.reported).reduce((a, b) => a + b, 0)).toBe(0);
    }
  });
});
