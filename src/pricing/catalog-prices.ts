import type { ModelPrices } from "./model-prices.ts";

// Supply catalog entries as prices. Pricing imports nothing of ours, so it names the fields it reads here; the
// protocol's CatalogEntry has them (prices per million tokens, cache prices defaulting to the input price).

const PER_MTOK = 1e-6;

export interface CatalogPriceEntry {
  model: string;
  provider: string;
  input_per_mtok: number;
  output_per_mtok: number;
  cache_read_per_mtok?: number | undefined;
  cache_write_per_mtok?: number | undefined;
  context_window?: number | undefined;
  substitutes?: readonly CatalogSubstitute[] | undefined;
}

/** A cheaper model declared safe for some kinds of traffic (`for`) of the entry's model. */
export interface CatalogSubstitute {
  model: string;
  for: readonly string[];
}

/** The entries keyed by lower-cased model name, as the price book's overrides. */
export function catalogPrices(entries: readonly CatalogPriceEntry[]): Map<string, ModelPrices> {
  const models = new Map<string, ModelPrices>();
  for (const entry of entries) {
    const input = entry.input_per_mtok * PER_MTOK;
    models.set(entry.model.trim().toLowerCase(), {
      model: entry.model,
      provider: entry.provider,
      source: "override",
      rates: {
        input,
        output: entry.output_per_mtok * PER_MTOK,
        cache_read: entry.cache_read_per_mtok === undefined ? input : entry.cache_read_per_mtok * PER_MTOK,
        cache_write: entry.cache_write_per_mtok === undefined ? input : entry.cache_write_per_mtok * PER_MTOK,
      },
      long_context: [],
      has_cache_read_price: entry.cache_read_per_mtok !== undefined,
      has_cache_write_price: entry.cache_write_per_mtok !== undefined,
      tier_rates: {},
      ...(entry.context_window === undefined ? {} : { context_window: entry.context_window }),
    });
  }
  return models;
}

/** The declared substitutes keyed by lower-cased model name. */
export function catalogSubstitutes(entries: readonly CatalogPriceEntry[]): Map<string, readonly CatalogSubstitute[]> {
  return new Map(entries.filter((e) => (e.substitutes ?? []).length > 0).map((e) => [e.model.trim().toLowerCase(), e.substitutes ?? []]));
}
