import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { UsageRecord } from "../record.ts";
import {
  CODE_CONTEXT,
  CODE_GENERATED,
  CONV_CONTEXT,
  CONV_GENERATED,
  FIVE_MINUTE_RATE_SIGMA,
  type LogNormalFit,
  MOONCAKE_INPUT,
  Z_P90,
} from "./calibration.ts";
import { DIGEST_PREFIX_TOKENS } from "./nightly-digest.ts";
import { generateWorkload } from "./workload.ts";

// Recomputes the fitted figures of calibration.ts from the real traces, read where they live (never copied here).
const DATASETS = fileURLToPath(new URL("../../../../shared/datasets/", import.meta.url));
const available = existsSync(`${DATASETS}azure-llm-inference-2023-conv.csv`);

/** Linear-interpolated quantile (numpy's default), the one the fits were made with. */
function quantile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const k = (sorted.length - 1) * p;
  const lo = Math.floor(k);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] ?? 0) + ((sorted[hi] ?? 0) - (sorted[lo] ?? 0)) * (k - lo);
}

function azure(file: string): { ms: number; context: number; generated: number }[] {
  const lines = readFileSync(`${DATASETS}${file}`, "utf8").trim().split("\n").slice(1);
  return lines.map((line) => {
    const [time = "", context = "", generated = ""] = line.split(",");
    return { ms: Date.parse(`${time.slice(0, 23).replace(" ", "T")}Z`), context: Number(context), generated: Number(generated) };
  });
}

function mooncakeInputs(): number[] {
  const lines = readFileSync(`${DATASETS}mooncake-synthetic-trace.jsonl`, "utf8").trim().split("\n");
  return lines.map((line) => (JSON.parse(line) as { input_length: number }).input_length);
}

function expectFit(values: readonly number[], fit: LogNormalFit): void {
  const p50 = quantile(values, 0.5);
  const p90 = quantile(values, 0.9);
  expect(Math.abs(fit.median - p50) / p50).toBeLessThan(0.01);
  expect(fit.sigma).toBeCloseTo(Math.log(p90 / p50) / Z_P90, 2);
}

describe.skipIf(!available)("calibration against the real traces", () => {
  it("token fits match the quantiles of the Azure and Mooncake traces", () => {
    const conv = azure("azure-llm-inference-2023-conv.csv");
    const code = azure("azure-llm-inference-2023-code.csv");
    expect(conv).toHaveLength(19_366);
    expectFit(conv.map((r) => r.context), CONV_CONTEXT);
    expectFit(conv.map((r) => r.generated), CONV_GENERATED);
    expectFit(code.map((r) => r.context), CODE_CONTEXT);
    expectFit(code.map((r) => r.generated), CODE_GENERATED);
    expectFit(mooncakeInputs(), MOONCAKE_INPUT);
  });

  it("the 5-minute rate spread matches the Azure conversation arrivals", () => {
    const times = azure("azure-llm-inference-2023-conv.csv").map((r) => r.ms);
    const start = times[0] ?? 0;
    const windows = Math.floor(((times.at(-1) ?? 0) - start) / 300_000);
    const counts = new Array<number>(windows).fill(0);
    for (const t of times) {
      const w = Math.floor((t - start) / 300_000);
      if (w < windows) counts[w] = (counts[w] ?? 0) + 1;
    }
    const mean = counts.reduce((a, b) => a + b, 0) / windows;
    const logs = counts.map((c) => Math.log(c / mean));
    const logMean = logs.reduce((a, b) => a + b, 0) / windows;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - logMean) ** 2, 0) / windows);
    expect(FIVE_MINUTE_RATE_SIGMA).toBeCloseTo(sd, 2);
  });
});

describe("generated token distributions follow the fits", () => {
  const workload = generateWorkload({ scenario: "clean", records: 20_000, days: 7, seed: 2, price: () => 0 });
  const records = [...workload.records()];
  const of = (feature: string, pick: (r: UsageRecord) => number) => records.filter((r) => r.feature === feature).map(pick);

  function expectNear(values: number[], fit: LogNormalFit, tolerance: number): void {
    expect(values.length).toBeGreaterThan(300);
    expect(Math.abs(quantile(values, 0.5) - fit.median) / fit.median).toBeLessThan(tolerance);
    const p90 = fit.median * Math.exp(fit.sigma * Z_P90);
    expect(Math.abs(quantile(values, 0.9) - p90) / p90).toBeLessThan(tolerance + 0.05);
  }

  it("search answers follow the Azure conversation outputs", () => {
    expectNear(of("kb_search", (r) => r.output_tokens), CONV_GENERATED, 0.1);
  });

  it("classification labels follow the Azure code outputs", () => {
    expectNear(of("ticket_classification", (r) => r.output_tokens), CODE_GENERATED, 0.15);
  });

  it("digest inputs follow the Mooncake prompt lengths", () => {
    expectNear(of("nightly_digest", (r) => r.input_tokens - DIGEST_PREFIX_TOKENS), MOONCAKE_INPUT, 0.1);
  });
});
