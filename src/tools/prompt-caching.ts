import { z } from "zod";
import type { PrefixCachingRow } from "../analytics/store.ts";
import { OpportunityKind, ToolName } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import type { ModelPrices } from "../pricing/model-prices.ts";
import { defineAnalysis, round } from "./analysis-tool.ts";
import { scopeOf } from "./opportunity.ts";

// prompt_caching: stable prefixes (same prefix_hash and model, at least the provider's minimum) sent again within the
// cache lifetime but billed as uncached input. Explicit caches (a write costs more than input, e.g. Anthropic):
// hits x prefix x (p_in - p_cr) - cold calls x prefix x (p_cw - p_in); automatic caches (OpenAI): hits x cached x (p_in - p_cr).

const THRESHOLDS = {
  /** Shortest prefix providers cache (1,024 tokens at OpenAI and for most Anthropic models). */
  minPrefixTokens: z.number().int().nonnegative().default(1024),
  /** Provider cache lifetime: 5 minutes at OpenAI and Anthropic by default. */
  windowSeconds: z.number().positive().default(300),
  /** Uncached calls on a warm cache needed before a (feature, model) is worth reporting. */
  minHits: z.number().int().positive().default(20),
};

/** OpenAI caches the prefix in 128-token steps above the first 1,024. */
function openAiCached(prefix: number): number {
  return prefix < 1024 ? 0 : 1024 + Math.floor((prefix - 1024) / 128) * 128;
}

function explicitCache(prices: ModelPrices): boolean {
  return prices.rates.cache_write > prices.rates.input;
}

/** Observed savings of caching one prefix; negative when cold writes cost more than the reads save. */
function prefixSavings(row: PrefixCachingRow, prices: ModelPrices): number {
  const { input, cache_read: read, cache_write: write } = prices.rates;
  if (explicitCache(prices)) {
    return row.uncached_hit_prefix_tokens * (input - read) - row.uncached_miss_prefix_tokens * (write - input);
  }
  const perHit = prices.provider === "openai" ? openAiCached(row.prefix_tokens) : row.prefix_tokens;
  return row.uncached_hits * perHit * (input - read);
}

interface Group {
  feature: string | null;
  model: string;
  prices: ModelPrices;
  rows: PrefixCachingRow[];
  savings: number;
}

export const promptCachingTool = defineAnalysis({
  name: ToolName.FIND_PROMPT_CACHING,
  description:
    "Finds stable prompt prefixes resent within the provider's cache lifetime but billed as uncached input; " +
    "estimates the monthly savings of caching them (cache reads minus the extra cost of cache writes).",
  thresholds: THRESHOLDS,
  async find(params, frame, { usage, prices }) {
    const rows = await usage.prefixCaching(frame.scope, {
      windowSeconds: params.windowSeconds,
      minPrefixTokens: params.minPrefixTokens,
    });
    const groups = new Map<string, Group>();
    for (const row of rows) {
      const modelPrices = prices.lookup(row.model, row.provider ?? undefined);
      if (modelPrices === undefined || modelPrices.rates.cache_read >= modelPrices.rates.input) continue;
      // The call site caches all its prefixes or none: a rarely reused prefix's cold writes count against the others.
      const savings = prefixSavings(row, modelPrices);
      const key = `${row.feature ?? ""}\u0000${row.model}`;
      const group = groups.get(key) ?? { feature: row.feature, model: row.model, prices: modelPrices, rows: [], savings: 0 };
      group.rows.push(row);
      group.savings += savings;
      groups.set(key, group);
    }
    const worthIt = [...groups.values()].filter(
      (g) => g.savings > 0 && g.rows.reduce((s, r) => s + r.uncached_hits, 0) >= params.minHits,
    );
    const found: Opportunity[] = worthIt.map((g) => {
      const sum = (pick: (r: PrefixCachingRow) => number) => g.rows.reduce((s, r) => s + pick(r), 0);
      const explicit = explicitCache(g.prices);
      const prefixes = g.rows.map((r) => `${r.prefix_hash} (${r.prefix_tokens} tokens)`).join(", ");
      const where = g.feature ?? "calls without a feature";
      return {
        kind: OpportunityKind.PROMPT_CACHING,
        title: `Cache the stable prompt prefix of ${where} on ${g.model}`,
        scope: scopeOf({ feature: g.feature, model: g.model }),
        est_monthly_savings_usd: round(g.savings * frame.perMonth, 6),
        confidence: explicit ? 0.8 : 0.6,
        evidence: {
          counts: {
            prefixes: g.rows.length,
            calls: sum((r) => r.calls),
            uncached_calls: sum((r) => r.uncached_calls),
            uncached_calls_on_warm_cache: sum((r) => r.uncached_hits),
            uncached_warm_prefix_tokens: sum((r) => r.uncached_hit_prefix_tokens),
            uncached_cold_prefix_tokens: sum((r) => r.uncached_miss_prefix_tokens),
            observed_savings_usd: round(g.savings, 6),
          },
          query: "prefixCaching",
          example_record_ids: g.rows.flatMap((r) => r.example_ids).slice(0, 5),
        },
        assumptions: [
          `A call is on a warm cache when the same prefix was sent to ${g.model} within ${params.windowSeconds} s before it.`,
          explicit
            ? "Cold calls pay a cache write (priced by the provider above plain input); that cost is subtracted."
            : "The provider caches automatically once the prefix is byte-identical; no write surcharge.",
          "Calls that already read or wrote the cache are left as they are.",
          frame.periodNote,
        ],
        actions: [
          explicit
            ? {
                step: `Add a cache breakpoint at the end of the stable prefix of ${where}`,
                detail: `Mark the last system/tool block of the prefix with cache_control: {"type": "ephemeral"} on every call; prefixes: ${prefixes}.`,
              }
            : {
                step: `Keep the prefix of ${where} byte-identical at the start of every request`,
                detail: `Move variable content (dates, user data) after the stable part and pass a prompt_cache_key; prefixes: ${prefixes}.`,
              },
          { step: "Check the cache_read_tokens of the next calls to confirm the hits" },
        ],
      };
    });
    return found;
  },
});
