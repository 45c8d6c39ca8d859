import type { PriceBook } from "../pricing/price-book.ts";

// The cost of a group of calls re-priced under another model or service tier: the price book applied to the group's
// token sums as one bucket. Costs are linear in tokens, so this equals the sum over the calls as long as they share a
// long-context tier (the bucket is placed by its average input).

export interface TokenSums {
  calls: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

export interface Repricing {
  model: string;
  provider?: string | null | undefined;
  serviceTier?: string | undefined;
  /** When the prices apply (default: the price book's date). */
  at?: string | null | undefined;
}

/** The cost of `tokens` at `target`; null when the model has no price. */
export function costOfTokens(book: PriceBook, tokens: TokenSums, target: Repricing): number | null {
  if (tokens.calls <= 0) return 0;
  return book.price({
    timestamp: target.at ?? new Date().toISOString(),
    model: target.model,
    ...(target.provider ? { provider: target.provider } : {}),
    input_tokens: tokens.input_tokens,
    output_tokens: tokens.output_tokens,
    cache_read_tokens: tokens.cache_read_tokens,
    cache_write_tokens: tokens.cache_write_tokens,
    service_tier: target.serviceTier ?? "standard",
    num_requests: tokens.calls,
  }).computed_cost_usd;
}

/** Adds token sums (for grouping rows of a query). */
export function addTokens(into: TokenSums, row: TokenSums): void {
  into.calls += row.calls;
  into.input_tokens += row.input_tokens;
  into.output_tokens += row.output_tokens;
  into.cache_read_tokens += row.cache_read_tokens;
  into.cache_write_tokens += row.cache_write_tokens;
}

export function noTokens(): TokenSums {
  return { calls: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 };
}
