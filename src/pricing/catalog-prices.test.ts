import { describe, expect, it } from "vitest";
import { PriceBook } from "./price-book.ts";

// Supply catalog entries in the price book: they override the bundled price (also under the dated names the bundled
// data matches to the overridden id), add models the bundled data lacks, and carry their declared substitutes.

const bundled = new PriceBook();

describe("PriceBook with catalog entries", () => {
  it("overrides a bundled model, its dated names too, and adds unknown models", () => {
    const book = new PriceBook({
      catalog: [
        { model: "gpt-4o", provider: "openai", input_per_mtok: 1, output_per_mtok: 4, cache_read_per_mtok: 0.5 },
        { model: "house-model", provider: "acme", input_per_mtok: 2, output_per_mtok: 3, context_window: 32_000 },
      ],
    });
    expect(book.lookup("gpt-4o")?.rates).toEqual({ input: 1e-6, output: 4e-6, cache_read: 0.5e-6, cache_write: 1e-6 });
    expect(book.lookup("gpt-4o-2024-08-06")?.rates.input).toBe(1e-6);
    expect(bundled.lookup("gpt-4o-2024-08-06")?.rates.input).not.toBe(1e-6);
    expect(book.lookup("house-model")).toMatchObject({ provider: "acme", context_window: 32_000, has_cache_read_price: false });
    expect(book.price({ timestamp: "2025-01-01T00:00:00Z", model: "house-model", input_tokens: 1_000_000, output_tokens: 1_000_000 }).computed_cost_usd).toBeCloseTo(5, 9);
    expect(bundled.lookup("house-model")).toBeUndefined();
  });

  it("offers a repriced model among the cheaper models of its provider, at the catalog price", () => {
    const book = new PriceBook({ catalog: [{ model: "gpt-4o-mini", provider: "openai", input_per_mtok: 0.01, output_per_mtok: 0.02 }] });
    const mini = book.cheaperModels("gpt-4o").find((c) => c.prices.model === "gpt-4o-mini");
    expect(mini?.prices.rates.input).toBe(0.01e-6);
  });

  it("returns the substitutes an entry declares, by its name or a dated one", () => {
    const substitutes = [{ model: "gpt-4o-mini", for: ["classification"] }];
    const book = new PriceBook({ catalog: [{ model: "gpt-4o", provider: "openai", input_per_mtok: 2.5, output_per_mtok: 10, substitutes }] });
    expect(book.substitutesOf("GPT-4o")).toEqual(substitutes);
    expect(book.substitutesOf("gpt-4o-2024-08-06")).toEqual(substitutes);
    expect(book.substitutesOf("gpt-4.1")).toEqual([]);
  });
});
