import type { TierUsageRow } from "../analytics/store.ts";
import type { PriceBook } from "../pricing/price-book.ts";
import { addTokens, costOfTokens, noTokens, type TokenSums } from "./token-cost.ts";

// The traffic the two tier analyses (batch_api, priority_tier) read: calls nobody waits on (not streamed, no end user),
// per (feature, model), with how its feature behaves overall and the price of the same tokens at another tier.

export interface TierTraffic {
  feature: string | null;
  model: string;
  provider: string | null;
  tokens: TokenSums;
  cost: number;
  unpricedCalls: number;
  /** Calls per UTC hour of day. */
  hours: number[];
  exampleIds: string[];
}

export interface FeatureTraffic {
  calls: number;
  /** Calls streamed or carrying an end user's id: someone may be waiting. */
  interactive: number;
  /** Calls already at batch or flex tier. */
  discounted: number;
}

/** A call nobody is waiting on: not streamed and sent on no end user's behalf. */
function unattended(row: TierUsageRow): boolean {
  return row.stream !== true && !row.has_user;
}

export function featureTraffic(rows: readonly TierUsageRow[]): Map<string | null, FeatureTraffic> {
  const out = new Map<string | null, FeatureTraffic>();
  for (const row of rows) {
    const f = out.get(row.feature) ?? { calls: 0, interactive: 0, discounted: 0 };
    f.calls += row.calls;
    if (!unattended(row)) f.interactive += row.calls;
    if (row.service_tier === "batch" || row.service_tier === "flex") f.discounted += row.calls;
    out.set(row.feature, f);
  }
  return out;
}

/** Unattended traffic of the rows accepted by `tier`, grouped per (feature, model). */
export function unattendedTraffic(rows: readonly TierUsageRow[], tier: (serviceTier: string | null) => boolean): TierTraffic[] {
  const groups = new Map<string, TierTraffic>();
  for (const row of rows) {
    if (!unattended(row) || !tier(row.service_tier)) continue;
    const key = `${row.feature ?? ""}\u0000${row.model}`;
    const g = groups.get(key) ?? {
      feature: row.feature, model: row.model, provider: row.provider, tokens: noTokens(), cost: 0, unpricedCalls: 0,
      hours: Array.from({ length: 24 }, () => 0), exampleIds: [],
    };
    const priced = row.calls - row.unpriced_calls;
    addTokens(g.tokens, { ...row, calls: priced });
    g.cost += row.cost_usd ?? 0;
    g.unpricedCalls += row.unpriced_calls;
    const hour = Number(row.hour);
    g.hours[hour] = (g.hours[hour] ?? 0) + row.calls;
    if (g.exampleIds.length < 5) g.exampleIds.push(...row.example_ids.slice(0, 5 - g.exampleIds.length));
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** Share of the calls that fall in the busiest `span` consecutive hours of the day (wrapping past midnight). */
export function busiestHoursShare(hours: readonly number[], span: number): { share: number; startHour: number } {
  const total = hours.reduce((a, b) => a + b, 0);
  let best = { share: 0, startHour: 0 };
  if (total === 0) return best;
  for (let start = 0; start < 24; start++) {
    let sum = 0;
    for (let i = 0; i < span; i++) sum += hours[(start + i) % 24] ?? 0;
    if (sum / total > best.share) best = { share: sum / total, startHour: start };
  }
  return best;
}

/**
 * The fraction of the cost that moving the traffic to `tier` saves: 1 - cost(tier) / cost(current tier), from the price
 * book (its explicit tier prices, else its tier multipliers). Null when the model is unpriced.
 */
export function tierSavingsRate(book: PriceBook, t: TierTraffic, from: string, to: string, at: string | null): number | null {
  const current = costOfTokens(book, t.tokens, { model: t.model, provider: t.provider, serviceTier: from, at });
  const moved = costOfTokens(book, t.tokens, { model: t.model, provider: t.provider, serviceTier: to, at });
  if (current === null || moved === null || current <= 0) return null;
  return Math.max(0, 1 - moved / current);
}
