import type { ModelInfo, ModelPrice } from "@pydantic/genai-prices";
import { activePrice, bundledModelsOf, knownProviderId, resolveBundled, toModelPrices } from "./bundled-prices.ts";
import { type CatalogPriceEntry, type CatalogSubstitute, catalogPrices, catalogSubstitutes } from "./catalog-prices.ts";
import { type LiteLlmPrices, loadLiteLlmPriceFile } from "./litellm-prices.ts";
import { blendedRate, type ModelPrices, type PricedServiceTier, ratesFor, SERVICE_TIERS } from "./model-prices.ts";
import { tierRates } from "./service-tier.ts";

/** The fields of a canonical usage record that pricing reads (pricing imports nothing of ours, so it names them here). */
export interface PriceableUsage {
  timestamp: string;
  model: string;
  provider?: string | undefined;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens?: number | undefined;
  cache_write_tokens?: number | undefined;
  cost_usd?: number | undefined;
  status?: string | undefined;
  service_tier?: string | undefined;
  num_requests?: number | undefined;
}

export interface PriceResult {
  /** Recomputed cost; null when the model has no price (never a silent zero). */
  computed_cost_usd: number | null;
  /** The source reported `cost_usd` and it differs from the recomputed cost by more than 1%. */
  cost_mismatch: boolean;
  /** Model id of the price table entry used, null when unpriced. */
  matched_model: string | null;
  provider: string | null;
}

export interface CheaperModel {
  prices: ModelPrices;
  /** Blended (3 input : 1 output) price relative to the current model, below 1. */
  cost_ratio: number;
}

export interface PriceBookOptions {
  overrides?: LiteLlmPrices;
  /** Supply catalog entries (global, then tenant, layered by the caller): they win over the file's overrides. */
  catalog?: readonly CatalogPriceEntry[];
  /** The date whose prices `lookup` and `cheaperModels` use when no time is given (default: now). */
  asOf?: Date;
}

/** Relative difference above which a reported cost is flagged as a mismatch. */
const MISMATCH_TOLERANCE = 0.01;
// Families that do not answer chat requests with text, so they can never stand in for a chat model.
const NOT_A_CHAT_MODEL =
  /embed|tts|transcribe|whisper|audio|realtime|image|search|moderation|computer-use|deep-research|rerank|guard|sonic|live|^ft:|\.ft-|:extended|^(?:ada|babbage|curie|davinci|text-)/i;

// Models whose price changed over time or depends on the time of day ("dated") are priced at each record's time.
type Cached =
  | { kind: "fixed"; prices: ModelPrices }
  | { kind: "dated"; model: ModelInfo; providerId: string }
  | { kind: "none" };

/** Prices of LLM calls: the bundled genai-prices table, extended or overridden by a LiteLLM-format file. */
export class PriceBook {
  private readonly overrides: Map<string, ModelPrices>;
  private readonly substitutes: Map<string, readonly CatalogSubstitute[]>;
  private readonly asOf: Date;
  private readonly cache = new Map<string, Cached>();
  private readonly converted = new WeakMap<ModelPrice, ModelPrices | undefined>();
  private readonly unpriced = new Set<string>();

  constructor(options: PriceBookOptions = {}) {
    const catalog = options.catalog ?? [];
    this.overrides = indexOverrides(new Map([...(options.overrides?.models ?? new Map<string, ModelPrices>()), ...catalogPrices(catalog)]));
    this.substitutes = catalogSubstitutes(catalog);
    this.asOf = options.asOf ?? new Date();
  }

  /** A book whose overrides come from a LiteLLM-format file (throws PriceFileError when it is unusable). */
  static fromFile(path: string, options: Omit<PriceBookOptions, "overrides"> = {}): PriceBook {
    return new PriceBook({ ...options, overrides: loadLiteLlmPriceFile(path) });
  }

  /** The prices of `model` (optionally at `provider`, at time `at`); undefined, and listed as unpriced, when unknown. */
  lookup(model: string, provider?: string, at: Date = this.asOf): ModelPrices | undefined {
    const found = this.find(model, provider, at);
    if (found === undefined) this.unpriced.add(model);
    return found;
  }

  /** The provider id of a model (`openai`, `anthropic`, `google`, `aws`…), from its price entry. */
  providerOf(model: string, provider?: string): string | undefined {
    return this.find(model, provider, this.asOf)?.provider ?? knownProviderId(provider);
  }

  /** Models listed as unpriced so far by `price` and `lookup`, sorted. */
  unpricedModels(): string[] {
    return [...this.unpriced].sort();
  }

  /** The cost of one record (or bucket: token counts are totals over its `num_requests`). */
  price(record: PriceableUsage): PriceResult {
    const at = new Date(record.timestamp);
    const prices = this.lookup(record.model, record.provider, Number.isNaN(at.getTime()) ? this.asOf : at);
    if (prices === undefined) {
      return { computed_cost_usd: null, cost_mismatch: false, matched_model: null, provider: null };
    }
    const computed = costOf(prices, record);
    const reported = record.cost_usd;
    const mismatch = reported !== undefined && Math.abs(reported - computed) > MISMATCH_TOLERANCE * computed;
    return { computed_cost_usd: computed, cost_mismatch: mismatch, matched_model: prices.model, provider: prices.provider };
  }

  /** The cheaper models the catalog declares safe for kinds of `model`'s traffic (none when it declares none). */
  substitutesOf(model: string): readonly CatalogSubstitute[] {
    const name = model.trim().toLowerCase();
    return this.substitutes.get(name) ?? this.substitutes.get(this.find(model, undefined, this.asOf)?.model.toLowerCase() ?? "") ?? [];
  }

  /** Chat models of the same provider that are cheaper on both input and output, nearest in price first. */
  cheaperModels(model: string, provider?: string): CheaperModel[] {
    const current = this.lookup(model, provider);
    if (current === undefined) return [];
    const candidates = new Map<string, ModelPrices>();
    for (const prices of bundledModelsOf(current.provider, this.asOf)) candidates.set(prices.model, prices);
    for (const prices of new Set(this.overrides.values())) {
      if (prices.provider === current.provider) candidates.set(prices.model, prices);
    }
    const currentBlend = blendedRate(current.rates);
    return [...candidates.values()]
      .filter(
        (c) =>
          c.model !== current.model &&
          c.deprecated !== true &&
          !NOT_A_CHAT_MODEL.test(c.model) &&
          c.rates.output > 0 &&
          c.rates.input <= current.rates.input &&
          c.rates.output <= current.rates.output &&
          blendedRate(c.rates) < currentBlend,
      )
      .map((prices) => ({ prices, cost_ratio: blendedRate(prices.rates) / currentBlend }))
      .sort((a, b) => b.cost_ratio - a.cost_ratio || a.prices.model.localeCompare(b.prices.model));
  }

  private find(model: string, provider: string | undefined, at: Date): ModelPrices | undefined {
    const override = this.override(model);
    if (override !== undefined) return override;
    // An override of a bundled id (`gpt-4o`) also prices the names the bundled data matches to it (`gpt-4o-2024-08-06`).
    const bundled = this.findBundled(model, provider, at);
    return bundled === undefined ? undefined : (this.override(bundled.model) ?? bundled);
  }

  private findBundled(model: string, provider: string | undefined, at: Date): ModelPrices | undefined {
    const key = `${provider ?? ""}\u0000${model}`;
    const cached = this.cache.get(key);
    if (cached?.kind === "fixed") return cached.prices;
    if (cached?.kind === "none") return undefined;
    if (cached?.kind === "dated") {
      const raw = activePrice(cached.model, at);
      return raw === undefined ? undefined : this.convert(cached.model, cached.providerId, raw);
    }
    const resolved = resolveBundled(model, provider, at);
    const prices = resolved === undefined ? undefined : this.convert(resolved.model, resolved.provider.id, resolved.price);
    if (resolved !== undefined && Array.isArray(resolved.model.prices)) {
      this.cache.set(key, { kind: "dated", model: resolved.model, providerId: resolved.provider.id });
    } else {
      this.cache.set(key, prices === undefined ? { kind: "none" } : { kind: "fixed", prices });
    }
    return prices;
  }

  private convert(model: ModelInfo, providerId: string, raw: ModelPrice): ModelPrices | undefined {
    if (this.converted.has(raw)) return this.converted.get(raw);
    const prices = toModelPrices(model, providerId, raw);
    this.converted.set(raw, prices);
    return prices;
  }

  private override(model: string): ModelPrices | undefined {
    if (this.overrides.size === 0) return undefined;
    const name = model.trim().toLowerCase();
    const slash = name.indexOf("/");
    return this.overrides.get(name) ?? (slash > 0 ? this.overrides.get(name.slice(slash + 1)) : undefined);
  }
}

/** LiteLLM keys are often `provider/model`; records usually name the bare model, so both names find the entry. */
function indexOverrides(models: ReadonlyMap<string, ModelPrices>): Map<string, ModelPrices> {
  const index = new Map(models);
  for (const [key, prices] of models) {
    const slash = key.indexOf("/");
    const bare = key.slice(slash + 1);
    if (slash > 0 && !index.has(bare)) index.set(bare, prices);
  }
  return index;
}

function serviceTier(value: string | undefined): PricedServiceTier {
  return (SERVICE_TIERS as readonly string[]).includes(value ?? "") ? (value as PricedServiceTier) : "standard";
}

/** Cost of a record at `prices`: uncached input, cache reads, cache writes and output (reasoning included) x tier. */
function costOf(prices: ModelPrices, record: PriceableUsage): number {
  // A response served from a gateway cache never reached the provider, so nothing was billed.
  if (record.status === "cache_hit") return 0;
  const requests = Math.max(1, record.num_requests ?? 1);
  const cacheRead = record.cache_read_tokens ?? 0;
  const cacheWrite = record.cache_write_tokens ?? 0;
  // Token counts of a bucket are totals; the long-context tier is chosen by the average request.
  const rates = tierRates(prices, ratesFor(prices, record.input_tokens / requests), serviceTier(record.service_tier));
  const uncached = Math.max(0, record.input_tokens - cacheRead - cacheWrite);
  return (
    uncached * rates.input +
    cacheRead * rates.cache_read +
    cacheWrite * rates.cache_write +
    record.output_tokens * rates.output
  );
}
