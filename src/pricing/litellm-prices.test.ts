import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadLiteLlmPriceFile, parseLiteLlmPrices } from "./litellm-prices.ts";
import { PriceFileError } from "./price-file-error.ts";

function thrown(action: () => unknown): PriceFileError {
  try {
    action();
  } catch (error) {
    if (error instanceof PriceFileError) return error;
    throw error;
  }
  throw new Error("expected a PriceFileError");
}

describe("LiteLLM price files", () => {
  it("reads per-token prices, provider and context window of each entry", () => {
    const { models } = parseLiteLlmPrices({
      "vertex_ai/gemini-x": {
        input_cost_per_token: 1e-6,
        output_cost_per_token: 4e-6,
        litellm_provider: "vertex_ai-language-models",
        max_input_tokens: 1_048_576,
        input_cost_per_token_batches: 4e-7,
      },
    });
    const entry = models.get("vertex_ai/gemini-x");
    expect(entry?.provider).toBe("google"); // LiteLLM's provider name mapped to the bundled table's id
    expect(entry?.rates).toEqual({ input: 1e-6, output: 4e-6, cache_read: 1e-6, cache_write: 1e-6 });
    expect(entry?.has_cache_read_price).toBe(false);
    expect(entry?.tier_rates).toEqual({ batch: { input: 4e-7 } });
    expect(entry?.context_window).toBe(1_048_576);
  });

  it("rejects a negative or non-numeric price naming the entry and the field", () => {
    const error = thrown(() => parseLiteLlmPrices({ m: { input_cost_per_token: -1 } }, "prices.json"));
    expect(error.message).toContain('"m"');
    expect(error.message).toContain("input_cost_per_token");
    expect(error.modelKey).toBe("m");
    expect(error.file).toBe("prices.json");
    expect(() => parseLiteLlmPrices({ m: { output_cost_per_token: "0.1" } })).toThrow(PriceFileError);
  });

  it("rejects a file that is not an object of entries", () => {
    expect(() => parseLiteLlmPrices([{ input_cost_per_token: 1 }])).toThrow(/one JSON object keyed by model name/);
    expect(() => parseLiteLlmPrices({ m: 3 })).toThrow(/entry "m" must be an object/);
  });

  it("reports unreadable and invalid JSON files with their path", () => {
    const dir = mkdtempSync(join(tmpdir(), "apex-prices-"));
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ not json");
    expect(thrown(() => loadLiteLlmPriceFile(broken)).message).toContain("is not valid JSON");
    expect(thrown(() => loadLiteLlmPriceFile(join(dir, "missing.json"))).file).toBe(join(dir, "missing.json"));
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify({ "my-model": { input_cost_per_token: 2e-6, output_cost_per_token: 8e-6 } }));
    expect(loadLiteLlmPriceFile(good).models.get("my-model")?.rates.output).toBe(8e-6);
  });
});
