import { describe, expect, it } from "vitest";
import { PriceBook, type PriceableUsage } from "./price-book.ts";
import { parseLiteLlmPrices } from "./litellm-prices.ts";
import { TIER_MULTIPLIER } from "./service-tier.ts";

const AS_OF = new Date("2026-01-15T00:00:00Z");
const book = () => new PriceBook({ asOf: AS_OF });

function usage(fields: Partial<PriceableUsage> & { model: string }): PriceableUsage {
  return { timestamp: "2026-01-15T12:00:00Z", input_tokens: 1000, output_tokens: 500, ...fields };
}

describe("PriceBook with the bundled genai-prices table", () => {
  it("prices gpt-4o at $2.50 in / $10 out per million tokens", () => {
    const result = book().price(usage({ model: "gpt-4o" }));
    expect(result.computed_cost_usd).toBeCloseTo(1000 * 2.5e-6 + 500 * 10e-6, 12); // 0.0075
    expect(result.matched_model).toBe("gpt-4o");
    expect(result.provider).toBe("openai");
    expect(result.cost_mismatch).toBe(false);
  });

  it("matches dated names and provider prefixes the way the package does", () => {
    const prices = book();
    expect(prices.lookup("gpt-4o-2024-08-06")?.model).toBe("gpt-4o");
    expect(prices.lookup("openai/gpt-4o")?.model).toBe("gpt-4o");
    expect(prices.lookup("claude-sonnet-4-20250514")?.model).toBe("claude-sonnet-4-0");
    expect(prices.lookup("claude-sonnet-4@20250514", "vertex_ai")?.provider).toBe("google");
    const bedrock = prices.lookup("us.anthropic.claude-sonnet-4-20250514-v1:0");
    expect(bedrock?.provider).toBe("aws");
    expect(bedrock?.rates.input).toBeCloseTo(3e-6, 15);
    expect(prices.lookup("anthropic.claude-sonnet-4-20250514-v1:0", "bedrock")?.provider).toBe("aws");
    expect(prices.providerOf("gpt-4o-mini")).toBe("openai");
    expect(prices.providerOf("gemini-2.5-flash")).toBe("google");
    expect(prices.unpricedModels()).toEqual([]);
  });

  it("bills cache reads at the cache-read price (gpt-4o: half of input)", () => {
    const cost = book().price(usage({ model: "gpt-4o-2024-08-06", cache_read_tokens: 600 })).computed_cost_usd;
    expect(cost).toBeCloseTo(400 * 2.5e-6 + 600 * 1.25e-6 + 500 * 10e-6, 12); // 0.00675
  });

  it("bills claude-sonnet-4 cache reads at 0.1x and cache writes at 1.25x of input", () => {
    const record = usage({
      model: "claude-sonnet-4-20250514",
      provider: "anthropic",
      input_tokens: 10_000,
      cache_read_tokens: 8_000,
      cache_write_tokens: 1_000,
      output_tokens: 200,
    });
    const cost = book().price(record).computed_cost_usd;
    expect(cost).toBeCloseTo(1_000 * 3e-6 + 8_000 * 0.3e-6 + 1_000 * 3.75e-6 + 200 * 15e-6, 12); // 0.01215
  });

  it("halves batch and flex, and multiplies priority by 1.75", () => {
    expect(TIER_MULTIPLIER).toEqual({ standard: 1, batch: 0.5, flex: 0.5, priority: 1.75 });
    const prices = book();
    expect(prices.price(usage({ model: "gpt-4o", service_tier: "batch" })).computed_cost_usd).toBeCloseTo(0.00375, 12);
    expect(prices.price(usage({ model: "gpt-4o", service_tier: "flex" })).computed_cost_usd).toBeCloseTo(0.00375, 12);
    expect(prices.price(usage({ model: "gpt-4o", service_tier: "priority" })).computed_cost_usd).toBeCloseTo(
      0.0075 * 1.75,
      12,
    );
  });

  it("treats bucket token counts as totals and picks the long-context tier by the average request", () => {
    const prices = book();
    const bucket = usage({ model: "gpt-4o", input_tokens: 10_000, output_tokens: 5_000, num_requests: 10 });
    expect(prices.price(bucket).computed_cost_usd).toBeCloseTo(0.075, 12);
    // gemini-2.5-pro: above 200k input tokens every token of the request costs $2.50 in / $15 out.
    const long = usage({ model: "gemini-2.5-pro", input_tokens: 250_000, output_tokens: 1_000 });
    expect(prices.price(long).computed_cost_usd).toBeCloseTo(250_000 * 2.5e-6 + 1_000 * 15e-6, 12); // 0.64
    const twoShort = { ...long, num_requests: 2 };
    expect(prices.price(twoShort).computed_cost_usd).toBeCloseTo(250_000 * 1.25e-6 + 1_000 * 10e-6, 12);
  });

  it("prices a model at the record's time when its price changed or depends on the hour", () => {
    const prices = book();
    // o3 dropped from $10/$40 to $2/$8 on 2025-06-10.
    const before = prices.price(usage({ model: "o3", timestamp: "2025-05-01T12:00:00Z" })).computed_cost_usd;
    const after = prices.price(usage({ model: "o3", timestamp: "2026-01-15T12:00:00Z" })).computed_cost_usd;
    expect(before).toBeCloseTo(1000 * 10e-6 + 500 * 40e-6, 12);
    expect(after).toBeCloseTo(1000 * 2e-6 + 500 * 8e-6, 12);
    // deepseek-chat: $0.27/$1.10 from 00:30 to 16:30 UTC, half price off-peak.
    const peak = prices.price(usage({ model: "deepseek-chat", timestamp: "2026-01-15T10:00:00Z" })).computed_cost_usd;
    const offPeak = prices.price(usage({ model: "deepseek-chat", timestamp: "2026-01-15T20:00:00Z" })).computed_cost_usd;
    expect(peak).toBeCloseTo(1000 * 0.27e-6 + 500 * 1.1e-6, 12);
    expect(offPeak).toBeCloseTo(1000 * 0.135e-6 + 500 * 0.55e-6, 12);
  });

  it("returns null, never zero, for an unknown model and lists it", () => {
    const prices = book();
    const result = prices.price(usage({ model: "acme-llm-9000" }));
    expect(result.computed_cost_usd).toBeNull();
    expect(result.matched_model).toBeNull();
    expect(prices.lookup("another-unknown")).toBeUndefined();
    expect(prices.unpricedModels()).toEqual(["acme-llm-9000", "another-unknown"]);
  });

  it("flags a reported cost more than 1% away from the recomputed one", () => {
    const prices = book();
    const at = (cost: number) => prices.price(usage({ model: "gpt-4o", cost_usd: cost })).cost_mismatch;
    expect(at(0.0075)).toBe(false);
    expect(at(0.0075 * 1.009)).toBe(false);
    expect(at(0.0075 * 0.991)).toBe(false);
    expect(at(0.0075 * 1.011)).toBe(true);
    expect(at(0.0075 * 0.98)).toBe(true);
    expect(prices.price(usage({ model: "unknown-x", cost_usd: 1 })).cost_mismatch).toBe(false);
  });

  it("bills nothing for a gateway cache hit", () => {
    expect(book().price(usage({ model: "gpt-4o", status: "cache_hit" })).computed_cost_usd).toBe(0);
  });

  it("lists cheaper chat models of the same provider, nearest first", () => {
    const cheaper = book().cheaperModels("gpt-4o");
    const names = cheaper.map((c) => c.prices.model);
    expect(names).toContain("gpt-4o-mini");
    expect(names).toContain("gpt-4.1-nano");
    expect(names).not.toContain("text-embedding-3-small");
    expect(names).not.toContain("gpt-4o-mini-tts");
    expect(names).not.toContain("gpt-4o");
    for (const c of cheaper) {
      expect(c.prices.provider).toBe("openai");
      expect(c.prices.rates.input).toBeLessThanOrEqual(2.5e-6);
      expect(c.prices.rates.output).toBeLessThanOrEqual(10e-6);
      expect(c.cost_ratio).toBeLessThan(1);
    }
    const ratios = cheaper.map((c) => c.cost_ratio);
    expect(ratios).toEqual([...ratios].sort((a, b) => b - a));
    const mini = cheaper.find((c) => c.prices.model === "gpt-4o-mini");
    expect(mini?.cost_ratio).toBeCloseTo((3 * 0.15 + 0.6) / (3 * 2.5 + 10), 12); // 0.06
    expect(book().cheaperModels("acme-llm-9000")).toEqual([]);
  });
});

describe("PriceBook with a LiteLLM-format override file", () => {
  const overrides = parseLiteLlmPrices({
    sample_spec: { input_cost_per_token: 0, litellm_provider: "one of https://docs.litellm.ai/docs/providers" },
    "gpt-4o": { input_cost_per_token: 5e-6, output_cost_per_token: 15e-6, litellm_provider: "openai" },
    "acme/acme-llm-9000": {
      input_cost_per_token: 1e-6,
      output_cost_per_token: 2e-6,
      cache_read_input_token_cost: 1e-7,
      cache_creation_input_token_cost: 1.25e-6,
      input_cost_per_token_above_200k_tokens: 2e-6,
      output_cost_per_token_above_200k_tokens: 3e-6,
      input_cost_per_token_priority: 4e-6,
      litellm_provider: "acme",
      max_input_tokens: 1_000_000,
    },
    "dall-e-3": { input_cost_per_pixel: 1e-8, litellm_provider: "openai" },
  });
  const prices = new PriceBook({ asOf: AS_OF, overrides });

  it("overrides a bundled price", () => {
    expect(prices.price(usage({ model: "gpt-4o" })).computed_cost_usd).toBeCloseTo(1000 * 5e-6 + 500 * 15e-6, 12);
    expect(prices.lookup("gpt-4o")?.source).toBe("override");
  });

  it("extends the table with cache, long-context and explicit tier prices", () => {
    const record = usage({ model: "acme-llm-9000", cache_read_tokens: 400, cache_write_tokens: 100 });
    expect(prices.price(record).computed_cost_usd).toBeCloseTo(500 * 1e-6 + 400 * 1e-7 + 100 * 1.25e-6 + 500 * 2e-6, 12);
    const long = usage({ model: "acme/acme-llm-9000", input_tokens: 300_000, output_tokens: 1_000 });
    expect(prices.price(long).computed_cost_usd).toBeCloseTo(300_000 * 2e-6 + 1_000 * 3e-6, 12);
    const priority = usage({ model: "acme-llm-9000", service_tier: "priority" });
    // explicit input priority price; output has none so it takes the 1.75 multiplier
    expect(prices.price(priority).computed_cost_usd).toBeCloseTo(1000 * 4e-6 + 500 * 2e-6 * 1.75, 12);
    expect(prices.lookup("acme-llm-9000")?.context_window).toBe(1_000_000);
    expect(overrides.skipped).toEqual(["dall-e-3"]);
  });

  it("still prices other models from the bundled table", () => {
    expect(prices.lookup("gpt-4o-mini")?.source).toBe("bundled");
  });
});
