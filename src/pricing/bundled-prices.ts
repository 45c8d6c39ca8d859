import { calcPrice, findProvider, type ModelInfo, type ModelPrice, type Provider } from "@pydantic/genai-prices";
import type { LongContextTier, ModelPrices, TokenRates } from "./model-prices.ts";

// The price data shipped inside @pydantic/genai-prices (offline; updatePrices is never called), read through the
// package's own matching: dated names, `provider/model` prefixes, Bedrock and Vertex ids, provider fallbacks.

const PER_MTOK = 1e-6;
// Bedrock ids carry the vendor as a dotted prefix (`us.anthropic.claude-…-v1:0`); without a provider they go to AWS.
const BEDROCK_ID = /(?:^|\.)(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|qwen|writer|openai)\.[a-z0-9]/i;

type RawPrice = ModelPrice[string];
interface Tiered {
  base: number;
  tiers: { start: number; price: number }[];
}

function isTiered(value: RawPrice): value is Tiered {
  return typeof value === "object" && value !== null && typeof value.base === "number" && Array.isArray(value.tiers);
}

/** Price per million tokens of one component for a request with `inputTokens` input tokens (genai-prices' rule). */
function valueAt(value: RawPrice, inputTokens: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return value;
  if (!isTiered(value)) return undefined;
  let price = value.base;
  for (const tier of value.tiers) if (inputTokens > tier.start) price = tier.price;
  return price;
}

function ratesAt(raw: ModelPrice, inputTokens: number): TokenRates | undefined {
  const input = valueAt(raw.input_mtok, inputTokens);
  if (input === undefined) return undefined; // audio, image or request-priced models: not priceable by tokens
  const output = valueAt(raw.output_mtok, inputTokens) ?? 0; // embeddings produce no output tokens
  return {
    input: input * PER_MTOK,
    output: output * PER_MTOK,
    cache_read: (valueAt(raw.cache_read_mtok, inputTokens) ?? input) * PER_MTOK,
    cache_write: (valueAt(raw.cache_write_mtok, inputTokens) ?? input) * PER_MTOK,
  };
}

/** Converts one genai-prices price entry; undefined when it has no per-token input price. */
export function toModelPrices(model: ModelInfo, providerId: string, raw: ModelPrice): ModelPrices | undefined {
  const rates = ratesAt(raw, 0);
  if (rates === undefined) return undefined;
  const starts = new Set<number>();
  for (const key of ["input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok"]) {
    const value = raw[key];
    if (isTiered(value)) for (const tier of value.tiers) starts.add(tier.start);
  }
  const longContext: LongContextTier[] = [...starts]
    .sort((a, b) => a - b)
    .flatMap((start) => {
      const tierRates = ratesAt(raw, start + 1);
      return tierRates === undefined ? [] : [{ above_input_tokens: start, rates: tierRates }];
    });
  return {
    model: model.id,
    provider: providerId,
    source: "bundled",
    rates,
    long_context: longContext,
    has_cache_read_price: raw.cache_read_mtok !== undefined,
    has_cache_write_price: raw.cache_write_mtok !== undefined,
    tier_rates: {},
    ...(model.context_window === undefined ? {} : { context_window: model.context_window }),
    ...(model.deprecated === undefined ? {} : { deprecated: model.deprecated }),
  };
}

/** The provider id the package knows for a name such as `openai`, `bedrock`, `vertex_ai`; undefined when unknown. */
export function knownProviderId(name: string | undefined): string | undefined {
  if (name === undefined || name.trim() === "") return undefined;
  return findProvider({ providerId: name })?.id;
}

interface Resolved {
  provider: Provider;
  model: ModelInfo;
  price: ModelPrice;
}

function attempt(model: string, providerId: string | undefined, at: Date): Resolved | undefined {
  const options = providerId === undefined ? { timestamp: at } : { providerId, timestamp: at };
  const result = calcPrice({}, model, options);
  return result === null ? undefined : { provider: result.provider, model: result.model, price: result.model_price };
}

/** Finds the bundled price of `model` (as a source named it) for `provider` (if known) at time `at`. */
export function resolveBundled(model: string, provider: string | undefined, at: Date): Resolved | undefined {
  let name = model.trim();
  let providerId = knownProviderId(provider);
  const slash = name.indexOf("/");
  if (slash > 0) {
    const prefixed = knownProviderId(name.slice(0, slash));
    if (prefixed !== undefined) {
      providerId = prefixed;
      name = name.slice(slash + 1);
    }
  }
  const found = attempt(name, providerId, at) ?? (providerId === undefined ? undefined : attempt(name, undefined, at));
  if (found !== undefined) return found;
  return BEDROCK_ID.test(name) && providerId !== "aws" ? attempt(name, "aws", at) : undefined;
}

/** Every model the package lists for a provider, with its price at `at` (for rightsizing candidates). */
export function bundledModelsOf(providerId: string, at: Date): ModelPrices[] {
  const provider = findProvider({ providerId });
  if (provider === undefined) return [];
  return provider.models.flatMap((model) => {
    const raw = activePrice(model, at);
    const prices = raw === undefined ? undefined : toModelPrices(model, provider.id, raw);
    return prices === undefined ? [] : [prices];
  });
}

/** The price entry of `model` in force at `at`, through the package's own constraint logic. */
export function activePrice(model: ModelInfo, at: Date): ModelPrice | undefined {
  if (!Array.isArray(model.prices)) return model.prices;
  const result = calcPrice({}, model.id, { provider: { id: "x", name: "x", api_pattern: "", models: [model] }, timestamp: at });
  return result?.model_price;
}
