import { z } from "zod";
import { OpportunityKind, type OpportunityKindName } from "../../protocol/names.ts";

// The answer key of a generated workload: for each planted kind of waste, where it is, which records carry it and
// what fixing it would truly save under the price function the generator was given. Built while records are made.

/** Ids listed per opportunity; past this only the count is complete (the list keeps the first ones made). */
const ANSWER_KEY_ID_CAP = 10_000;
const DAYS_PER_MONTH = 30;

const usdOrNull = z.number().nullable();

const PlantedOpportunitySchema = z.object({
  kind: z.enum(Object.values(OpportunityKind) as [OpportunityKindName, ...OpportunityKindName[]]),
  scope: z.object({ feature: z.string(), model: z.string() }),
  affected_records: z.number().int().positive(),
  /** All affected ids when `record_ids_complete`, else the first ANSWER_KEY_ID_CAP of them. */
  record_ids: z.array(z.string()),
  record_ids_complete: z.boolean(),
  /** Savings over the generated period; null when the price function priced none of the records. */
  observed_savings_usd: usdOrNull,
  /** observed_savings_usd x 30 / days of the period (analytics.md's "monthly"). */
  true_monthly_savings_usd: usdOrNull,
  /** Affected records the price function could not price (left out of the savings). */
  unpriced_records: z.number().int().nonnegative(),
  pattern: z.string(),
  counterfactual: z.string(),
});

/** The answer key file of `apex generate --answer-key`, for evaluations to read back. */
export const AnswerKeySchema = z.object({
  version: z.literal(1),
  scenario: z.string(),
  seed: z.number().int().nonnegative(),
  records: z.number().int().positive(),
  period: z.object({ from: z.iso.datetime(), to: z.iso.datetime(), days: z.number().positive() }),
  waste_rates: z.record(z.string(), z.number().min(0).max(1)),
  price_source: z.string(),
  totals: z.object({
    cost_usd: z.number(),
    monthly_cost_usd: z.number(),
    unpriced_records: z.number().int().nonnegative(),
  }),
  opportunities: z.array(PlantedOpportunitySchema),
});

export type OpportunityScope = PlantedOpportunity["scope"];
export type PlantedOpportunity = z.infer<typeof PlantedOpportunitySchema>;
export type AnswerKey = z.infer<typeof AnswerKeySchema>;

export interface KindNotes {
  pattern: string;
  counterfactual: string;
}

interface Group {
  kind: OpportunityKindName;
  scope: OpportunityScope;
  count: number;
  ids: string[];
  savings: number;
  priced: number;
  unpriced: number;
}

const KIND_ORDER: readonly OpportunityKindName[] = Object.values(OpportunityKind);

/** Rounds to a millionth of a dollar so that keys stay readable. */
function usd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

export class AnswerKeyBuilder {
  private readonly groups = new Map<string, Group>();
  private totalCost = 0;
  private unpricedRecords = 0;

  plant(kind: OpportunityKindName, scope: OpportunityScope, recordId: string, savings: number | null): void {
    const id = `${kind}\u0000${scope.feature}\u0000${scope.model}`;
    let group = this.groups.get(id);
    if (group === undefined) {
      group = { kind, scope, count: 0, ids: [], savings: 0, priced: 0, unpriced: 0 };
      this.groups.set(id, group);
    }
    group.count += 1;
    if (group.ids.length < ANSWER_KEY_ID_CAP) group.ids.push(recordId);
    if (savings === null) group.unpriced += 1;
    else {
      group.savings += savings;
      group.priced += 1;
    }
  }

  /** Adds one emitted record to the totals. */
  count(cost: number | null): void {
    if (cost === null) this.unpricedRecords += 1;
    else this.totalCost += cost;
  }

  build(header: Omit<AnswerKey, "opportunities" | "totals">, notes: Readonly<Record<OpportunityKindName, KindNotes>>) {
    const monthly = DAYS_PER_MONTH / header.period.days;
    const opportunities = [...this.groups.values()]
      .sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.scope.feature.localeCompare(b.scope.feature))
      .map((group): PlantedOpportunity => ({
        kind: group.kind,
        scope: group.scope,
        affected_records: group.count,
        record_ids: group.ids,
        record_ids_complete: group.ids.length === group.count,
        observed_savings_usd: group.priced === 0 ? null : usd(group.savings),
        true_monthly_savings_usd: group.priced === 0 ? null : usd(group.savings * monthly),
        unpriced_records: group.unpriced,
        ...notes[group.kind],
      }));
    const key: AnswerKey = {
      ...header,
      totals: {
        cost_usd: usd(this.totalCost),
        monthly_cost_usd: usd(this.totalCost * monthly),
        unpriced_records: this.unpricedRecords,
      },
      opportunities,
    };
    return key;
  }
}
