import { OpportunityKind } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { CONV_GENERATED, MOONCAKE_INPUT } from "./calibration.ts";
import { type EpisodeContext, tokens } from "./episode-context.ts";
import { Feature, Models } from "./saas-scenario.ts";

// Nightly digest: a job summarizing the day's long ticket threads on gemini-2.5-flash between 01:00 and 04:00
// local time, nobody waiting. Done right, jobs go through the Batch API (half price). Planted waste (batch_api):
// whole jobs sent one call at a time at standard tier.

export const DIGEST_PREFIX_TOKENS = 350;

export function nightlyDigestJob(ctx: EpisodeContext, startMs: number): UsageRecord[] {
  const { prng } = ctx;
  const documents = prng.int(5, 25);
  const standard = prng.chance(ctx.rates[OpportunityKind.BATCH_API]);
  const traceId = `job-${ctx.hash()}`;
  const out: UsageRecord[] = [];
  let at = startMs;
  for (let i = 0; i < documents; i++) {
    const record = ctx.call({
      atMs: at,
      model: Models.DIGEST,
      feature: Feature.NIGHTLY_DIGEST,
      // Thread lengths follow Mooncake's long-prompt service; summaries follow chat answer sizes.
      input: DIGEST_PREFIX_TOKENS + tokens(prng, MOONCAKE_INPUT, 1_000, 120_000),
      output: tokens(prng, CONV_GENERATED, 20, 1500),
      finishReason: "STOP",
      maxTokens: 2048,
      temperature: 0.3,
      stream: false,
      serviceTier: standard ? "standard" : "batch",
      traceId,
      tags: ["offline", "nightly"],
      requestHash: ctx.hash(),
      prefixHash: "digest-v1",
      prefixTokens: DIGEST_PREFIX_TOKENS,
    });
    if (standard) ctx.plant(OpportunityKind.BATCH_API, record, { ...record, service_tier: "batch" });
    out.push(record);
    at += prng.int(500, 4_000);
  }
  return out;
}
