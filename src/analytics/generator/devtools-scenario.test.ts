import { describe, expect, it } from "vitest";
import { OpportunityKind } from "../../protocol/names.ts";
import { type UsageRecord, UsageRecordSchema } from "../record.ts";
import { AnswerKeySchema } from "./answer-key.ts";
import { DEVTOOLS_UTC_OFFSET_HOURS, DevFeature, DevModels } from "./devtools-scenario.ts";
import { NO_WASTE } from "./saas-scenario.ts";
import { generateWorkload } from "./workload.ts";

// The devtools scenario: valid, deterministic records of its own features and models, with every kind planted where
// its notes say, and none when its waste rates are zero. Prices: a test function (1e-6 per input token, cache reads
// at a tenth, output 4x; Sonnet 3x the others; tiers applied).

const TIER: Record<string, number> = { standard: 1, batch: 0.5, flex: 0.5, priority: 1.75 };
const price = (r: UsageRecord) =>
  (r.input_tokens - (r.cache_read_tokens ?? 0) * 0.9 + r.output_tokens * 4) * 1e-6 *
  (TIER[r.service_tier ?? "standard"] ?? 1) * (r.model.startsWith("claude-sonnet") ? 3 : 1);

function generate(seed: number, wasteRates?: typeof NO_WASTE) {
  const workload = generateWorkload({ scenario: "devtools", records: 20_000, days: 7, seed, price, ...(wasteRates ? { wasteRates } : {}) });
  const records = [...workload.records()];
  return { records, key: workload.answerKey(), text: records.map((r) => JSON.stringify(r)).join("\n") };
}

const run = generate(3);

describe("devtools scenario", () => {
  it("writes the requested number of valid records, in time order, of its own features and models", () => {
    expect(run.records).toHaveLength(20_000);
    for (const r of run.records.slice(0, 2000)) expect(UsageRecordSchema.safeParse(r).success).toBe(true);
    expect(run.records.every((r, i) => i === 0 || (run.records[i - 1]?.timestamp ?? "") <= r.timestamp)).toBe(true);
    expect(new Set(run.records.map((r) => r.feature))).toEqual(new Set(Object.values(DevFeature)));
    const models = new Set<string>(Object.values(DevModels).map((m) => m.model));
    expect(run.records.every((r) => models.has(r.model))).toBe(true);
  });

  it("is deterministic for a seed", () => {
    expect(generate(3).text).toBe(run.text);
    expect(generate(4).text).not.toBe(run.text);
  });

  it("plants every kind on the feature and model its notes name, with savings from the price function", () => {
    const key = AnswerKeySchema.parse(run.key);
    expect(key.scenario).toBe("devtools");
    expect(key.opportunities.map((o) => [o.kind, o.scope.feature, o.scope.model])).toEqual([
      [OpportunityKind.MODEL_RIGHTSIZING, DevFeature.COMMIT_MESSAGE, DevModels.COMMIT_OVERSIZED.model],
      [OpportunityKind.PROMPT_CACHING, DevFeature.CODE_SEARCH, DevModels.SEARCH.model],
      [OpportunityKind.RESPONSE_CACHING, DevFeature.CODE_SEARCH, DevModels.SEARCH.model],
      [OpportunityKind.BATCH_API, DevFeature.TEST_GENERATION, DevModels.TESTS.model],
      [OpportunityKind.PRIORITY_TIER, DevFeature.LINT_AUTOFIX, DevModels.LINT.model],
      [OpportunityKind.OUTPUT_TRUNCATION, DevFeature.PR_REVIEW, DevModels.REVIEW.model],
      [OpportunityKind.RETRY_WASTE, DevFeature.PR_REVIEW, DevModels.REVIEW.model],
      [OpportunityKind.CONTEXT_BLOAT, DevFeature.IDE_CHAT, DevModels.CHAT.model],
    ]);
    const byId = new Map(run.records.map((r) => [r.id, r]));
    const batch = key.opportunities.find((o) => o.kind === OpportunityKind.BATCH_API);
    // Half of each standard-tier call's price, summed over the listed calls.
    const expected = (batch?.record_ids ?? []).reduce((s, id) => s + price(byId.get(id) as UsageRecord) / 2, 0);
    expect(batch?.observed_savings_usd).toBeCloseTo(expected, 5);
    expect(key.opportunities.every((o) => (o.true_monthly_savings_usd ?? 0) > 0)).toBe(true);
  });

  it("runs the nightly jobs between 02:00 and 05:00 local time and keeps CI out of weekends", () => {
    const localHour = (r: UsageRecord) => (new Date(r.timestamp).getUTCHours() + DEVTOOLS_UTC_OFFSET_HOURS + 24) % 24;
    const nightly = run.records.filter((r) => r.feature === DevFeature.TEST_GENERATION);
    expect(nightly.every((r) => localHour(r) >= 2 && localHour(r) <= 5)).toBe(true);
    const ci = run.records.filter((r) => r.feature === DevFeature.LINT_AUTOFIX);
    expect(ci.every((r) => ![0, 6].includes(new Date(Date.parse(r.timestamp) + DEVTOOLS_UTC_OFFSET_HOURS * 3_600_000).getUTCDay()))).toBe(true);
  });

  it("plants nothing at zero waste rates", () => {
    const none = generate(3, NO_WASTE);
    expect(none.key.opportunities).toEqual([]);
    expect(none.records.some((r) => r.service_tier === "priority" || r.finish_reason === "length" || r.status === "error")).toBe(false);
  });
});
