import type { ModelPrices, PricedServiceTier, TokenRates } from "./model-prices.ts";

// Batch and flex bill half the standard price at OpenAI, Anthropic (batch) and Google (batch).
// Priority: 1.75x, OpenAI's priority-processing list (gpt-4.1 $3.50/$14 vs $2/$8 and o3 are exactly 1.75x;
// gpt-4o is 1.7x, gpt-5 2x). No other provider publishes a per-token priority price, so 1.75 is used for all;
// an override file with `*_priority` prices replaces the multiplier for that model.
export const TIER_MULTIPLIER: Readonly<Record<PricedServiceTier, number>> = {
  standard: 1,
  batch: 0.5,
  flex: 0.5,
  priority: 1.75,
};

/** The rates of `base` at `tier`: an explicit tier price when the table has one, else base x the tier multiplier. */
export function tierRates(prices: ModelPrices, base: TokenRates, tier: PricedServiceTier): TokenRates {
  if (tier === "standard") return base;
  const multiplier = TIER_MULTIPLIER[tier];
  // Explicit tier prices are base-tier prices; long-context rates keep the multiplier.
  const explicit = base === prices.rates ? (prices.tier_rates[tier] ?? {}) : {};
  return {
    input: explicit.input ?? base.input * multiplier,
    output: explicit.output ?? base.output * multiplier,
    cache_read: explicit.cache_read ?? base.cache_read * multiplier,
    cache_write: explicit.cache_write ?? base.cache_write * multiplier,
  };
}
