import { OpportunityKind } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { CONV_CONTEXT } from "./calibration.ts";
import { type EpisodeContext, tokens } from "./episode-context.ts";
import { Feature, Models } from "./saas-scenario.ts";

// CRM enrichment: an office-hours pipeline extracting account facts from emails with gpt-5-mini (a reasoning
// model), in bursts, nobody waiting. Done right, at flex tier. Planted waste (priority_tier): bursts sent at
// priority tier, paying for latency nobody needs.

const ENRICHMENT_PREFIX_TOKENS = 500;

export function crmEnrichmentBurst(ctx: EpisodeContext, startMs: number): UsageRecord[] {
  const { prng } = ctx;
  const calls = prng.int(3, 15);
  const priority = prng.chance(ctx.rates[OpportunityKind.PRIORITY_TIER]);
  const traceId = `batch-${ctx.hash()}`;
  const out: UsageRecord[] = [];
  let at = startMs;
  for (let i = 0; i < calls; i++) {
    // Reasoning and answer sizes are assumptions; email sizes follow the Azure conversation prompts.
    const reasoning = tokens(prng, { median: 320, sigma: 0.7 }, 0, 4000);
    const answer = tokens(prng, { median: 90, sigma: 0.6 }, 10, 800);
    const record = ctx.call({
      atMs: at,
      model: Models.ENRICHMENT,
      feature: Feature.CRM_ENRICHMENT,
      input: ENRICHMENT_PREFIX_TOKENS + tokens(prng, CONV_CONTEXT, 50, 6000),
      output: reasoning + answer,
      reasoning,
      finishReason: "stop",
      maxTokens: 8192,
      stream: false,
      serviceTier: priority ? "priority" : "flex",
      traceId,
      tags: ["offline", "enrichment"],
      requestHash: ctx.hash(),
      prefixHash: "enrichment-v4",
      prefixTokens: ENRICHMENT_PREFIX_TOKENS,
    });
    // The fix the kind estimates: the same calls at standard tier (cost x (1 - 1/priority multiplier)).
    if (priority) ctx.plant(OpportunityKind.PRIORITY_TIER, record, { ...record, service_tier: "standard" });
    out.push(record);
    at += prng.int(300, 3_000);
  }
  return out;
}
