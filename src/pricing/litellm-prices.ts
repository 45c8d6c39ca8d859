import { readFileSync } from "node:fs";
import { knownProviderId } from "./bundled-prices.ts";
import type { LongContextTier, ModelPrices, PricedServiceTier, TokenRates } from "./model-prices.ts";
import { PriceFileError } from "./price-file-error.ts";

// User price overrides in LiteLLM's model_prices_and_context_window.json format: one object keyed by model name,
// prices in USD per token. Only token prices are read; entries priced per image, second or character are skipped.

type Component = keyof TokenRates;
const FIELD: Readonly<Record<Component, string>> = {
  input: "input_cost_per_token",
  output: "output_cost_per_token",
  cache_read: "cache_read_input_token_cost",
  cache_write: "cache_creation_input_token_cost",
};
const TIER_SUFFIX: Readonly<Record<Exclude<PricedServiceTier, "standard">, string>> = {
  batch: "_batches",
  flex: "_flex",
  priority: "_priority",
};
const LONG_CONTEXT_KEY = /^(.+)_above_(\d+)k_tokens$/;
/** LiteLLM's own documentation entry at the top of its file. */
const SAMPLE_KEY = "sample_spec";

export interface LiteLlmPrices {
  /** Keyed by the lower-cased model name of the file. */
  models: Map<string, ModelPrices>;
  /** Keys without a per-token price (image, audio, rerank entries), left out. */
  skipped: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function price(entry: Record<string, unknown>, field: string, key: string, file: string | undefined): number | undefined {
  const value = entry[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new PriceFileError(
      `Price file entry "${key}": ${field} must be a non-negative number of USD per token, got ${JSON.stringify(value)}. Fix the entry or remove it.`,
      { modelKey: key, ...(file === undefined ? {} : { file }) },
    );
  }
  return value;
}

function componentsWith(
  entry: Record<string, unknown>,
  suffix: string,
  key: string,
  file: string | undefined,
): Partial<TokenRates> {
  const found: Partial<TokenRates> = {};
  for (const component of Object.keys(FIELD) as Component[]) {
    const value = price(entry, FIELD[component] + suffix, key, file);
    if (value !== undefined) found[component] = value;
  }
  return found;
}

function longContextTiers(entry: Record<string, unknown>, base: TokenRates, key: string, file: string | undefined) {
  const thresholds = new Set<number>();
  for (const field of Object.keys(entry)) {
    const match = LONG_CONTEXT_KEY.exec(field);
    if (match?.[1] !== undefined && match[2] !== undefined && Object.values(FIELD).includes(match[1])) {
      thresholds.add(Number(match[2]) * 1000);
    }
  }
  const tiers: LongContextTier[] = [];
  for (const threshold of [...thresholds].sort((a, b) => a - b)) {
    const given = componentsWith(entry, `_above_${threshold / 1000}k_tokens`, key, file);
    const previous = tiers.at(-1)?.rates ?? base;
    tiers.push({ above_input_tokens: threshold, rates: { ...previous, ...given } });
  }
  return tiers;
}

function toModelPrices(key: string, entry: Record<string, unknown>, file: string | undefined): ModelPrices | undefined {
  const given = componentsWith(entry, "", key, file);
  if (given.input === undefined) return undefined;
  const rates: TokenRates = {
    input: given.input,
    output: given.output ?? 0,
    cache_read: given.cache_read ?? given.input,
    cache_write: given.cache_write ?? given.input,
  };
  const tierRates: ModelPrices["tier_rates"] = {};
  for (const [tier, suffix] of Object.entries(TIER_SUFFIX) as [keyof typeof TIER_SUFFIX, string][]) {
    const explicit = componentsWith(entry, suffix, key, file);
    if (Object.keys(explicit).length > 0) tierRates[tier] = explicit;
  }
  const provider = typeof entry.litellm_provider === "string" ? entry.litellm_provider : "custom";
  const contextWindow = price(entry, "max_input_tokens", key, file);
  return {
    model: key,
    provider: knownProviderId(provider) ?? provider,
    source: "override",
    rates,
    long_context: longContextTiers(entry, rates, key, file),
    has_cache_read_price: given.cache_read !== undefined,
    has_cache_write_price: given.cache_write !== undefined,
    tier_rates: tierRates,
    ...(contextWindow === undefined ? {} : { context_window: contextWindow }),
  };
}

/** Reads the parsed content of a LiteLLM-format price file; `file` only names it in error messages. */
export function parseLiteLlmPrices(content: unknown, file?: string): LiteLlmPrices {
  const where = file === undefined ? "The price file" : `Price file ${file}`;
  if (!isObject(content)) {
    throw new PriceFileError(
      `${where} must hold one JSON object keyed by model name (LiteLLM's model_prices_and_context_window.json format).`,
      file === undefined ? {} : { file },
    );
  }
  const models = new Map<string, ModelPrices>();
  const skipped: string[] = [];
  for (const [key, entry] of Object.entries(content)) {
    if (key === SAMPLE_KEY) continue;
    if (!isObject(entry)) {
      throw new PriceFileError(`${where}: entry "${key}" must be an object of prices, got ${JSON.stringify(entry)}.`, {
        modelKey: key,
        ...(file === undefined ? {} : { file }),
      });
    }
    const prices = toModelPrices(key, entry, file);
    if (prices === undefined) skipped.push(key);
    else models.set(key.trim().toLowerCase(), prices);
  }
  return { models, skipped };
}

/** Reads and parses a LiteLLM-format price file from disk. */
export function loadLiteLlmPriceFile(path: string): LiteLlmPrices {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new PriceFileError(`Cannot read price file ${path}: check the path and its permissions.`, {
      file: path,
      cause: error,
    });
  }
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch (error) {
    throw new PriceFileError(`Price file ${path} is not valid JSON (${(error as Error).message}).`, {
      file: path,
      cause: error,
    });
  }
  return parseLiteLlmPrices(content, path);
}
