import { OpportunityKind } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { CONV_GENERATED, MOONCAKE_INPUT } from "./calibration.ts";
import { type EpisodeContext, tokens } from "./episode-context.ts";
import { DevFeature, DevModels } from "./devtools-scenario.ts";

// Pull-request review (devtools): the CI bot sends the diff and context to gemini-2.5-pro and streams the review
// back. Planted waste: reviews cut at an 800-token cap then asked again with 4096 (output_truncation), and streams
// cut by a network error after the provider billed them, re-sent a few seconds later (retry_waste).

const PREFIX_TOKENS = 600;
const SHORT_CAP = 800;

export function prReviewCall(ctx: EpisodeContext, startMs: number): UsageRecord[] {
  const { prng, rates } = ctx;
  // Diff plus surrounding files: Mooncake's long prompts scaled down to stay under Gemini's 200k tier.
  const input = PREFIX_TOKENS + tokens(prng, { median: MOONCAKE_INPUT.median / 2, sigma: MOONCAKE_INPUT.sigma }, 500, 150_000);
  const output = tokens(prng, { median: CONV_GENERATED.median * 4, sigma: CONV_GENERATED.sigma }, 20, 4000);
  const base = {
    model: DevModels.REVIEW,
    feature: DevFeature.PR_REVIEW,
    input,
    temperature: 0.2,
    stream: true,
    serviceTier: "standard" as const,
    traceId: `pr-${ctx.hash()}`,
    tags: ["ci", "review"],
    requestHash: ctx.hash(),
    prefixHash: "review-v3",
    prefixTokens: PREFIX_TOKENS,
  };
  const out: UsageRecord[] = [];
  let at = startMs;
  if (output > SHORT_CAP && prng.chance(rates[OpportunityKind.OUTPUT_TRUNCATION])) {
    const cut = ctx.call({ ...base, atMs: at, output: SHORT_CAP, finishReason: "length", maxTokens: SHORT_CAP });
    ctx.plant(OpportunityKind.OUTPUT_TRUNCATION, cut, null);
    out.push(cut);
    at = Date.parse(cut.timestamp) + (cut.duration_ms ?? 0) + prng.int(2_000, 10_000);
  } else if (prng.chance(rates[OpportunityKind.RETRY_WASTE])) {
    const partial = Math.max(1, Math.floor(output * prng.between(0.1, 0.8)));
    const failed = ctx.call({ ...base, atMs: at, output: partial, status: "error", errorType: "stream_interrupted", maxTokens: 4096 });
    ctx.plant(OpportunityKind.RETRY_WASTE, failed, null);
    out.push(failed);
    at = Date.parse(failed.timestamp) + (failed.duration_ms ?? 0) + prng.int(2_000, 15_000);
  }
  out.push(ctx.call({ ...base, atMs: at, output, finishReason: "stop", maxTokens: 4096 }));
  return out;
}
