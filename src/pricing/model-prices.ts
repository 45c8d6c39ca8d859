// The price of one model in USD per token, whatever table it came from (bundled genai-prices data or a user override).

export const SERVICE_TIERS = ["standard", "batch", "flex", "priority"] as const;
export type PricedServiceTier = (typeof SERVICE_TIERS)[number];

/** USD per token for each kind of token. A cache rate equals `input` when the table has no distinct cache price. */
export interface TokenRates {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
}

/** Rates that apply to the whole request once its input exceeds `above_input_tokens` (Gemini, Claude long context). */
export interface LongContextTier {
  above_input_tokens: number;
  rates: TokenRates;
}

export interface ModelPrices {
  /** The model id in the table that matched (e.g. `gpt-4o` for `gpt-4o-2024-08-06`). */
  model: string;
  /** Provider id (`openai`, `anthropic`, `google`, `aws`, …) or the override's `litellm_provider`. */
  provider: string;
  source: "bundled" | "override";
  rates: TokenRates;
  /** Ascending by threshold; empty when the model has a single price. */
  long_context: readonly LongContextTier[];
  /** Whether the table has a distinct cache-read / cache-write price (else those tokens bill as input). */
  has_cache_read_price: boolean;
  has_cache_write_price: boolean;
  /** Explicit per-tier prices (LiteLLM `*_batches`, `*_flex`, `*_priority`); components absent here use the multiplier. */
  tier_rates: Partial<Record<Exclude<PricedServiceTier, "standard">, Partial<TokenRates>>>;
  context_window?: number;
  deprecated?: boolean;
}

/** The rates that apply to a request with `inputTokensPerRequest` input tokens (the highest tier it exceeds). */
export function ratesFor(prices: ModelPrices, inputTokensPerRequest: number): TokenRates {
  let rates = prices.rates;
  for (const tier of prices.long_context) {
    if (inputTokensPerRequest > tier.above_input_tokens) rates = tier.rates;
  }
  return rates;
}

/** Cost of a typical call of 3 input tokens for 1 output token: how the price list ranks models against each other. */
export function blendedRate(rates: TokenRates): number {
  return (3 * rates.input + rates.output) / 4;
}
