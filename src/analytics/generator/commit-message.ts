import { OpportunityKind } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { CODE_CONTEXT, CODE_GENERATED } from "./calibration.ts";
import { type EpisodeContext, tokens } from "./episode-context.ts";
import { DevFeature, DevModels } from "./devtools-scenario.ts";

// Commit messages (devtools): a one-line summary of a staged diff. Done right, on claude-haiku-4-5. Planted waste
// (model_rightsizing): part of the calls still go to claude-sonnet-4, three times the price for the same short output.

const PREFIX_TOKENS = 400;

export function commitMessageCall(ctx: EpisodeContext, atMs: number): UsageRecord[] {
  const { prng } = ctx;
  const oversized = prng.chance(ctx.rates[OpportunityKind.MODEL_RIGHTSIZING]);
  const record = ctx.call({
    atMs,
    model: oversized ? DevModels.COMMIT_OVERSIZED : DevModels.COMMIT,
    feature: DevFeature.COMMIT_MESSAGE,
    // Diffs follow the Azure code-completion contexts; messages its short outputs.
    input: PREFIX_TOKENS + tokens(prng, CODE_CONTEXT, 20, 12_000),
    output: tokens(prng, CODE_GENERATED, 3, 120),
    finishReason: "end_turn",
    maxTokens: 200,
    temperature: 0.2,
    stream: false,
    serviceTier: "standard",
    userId: `dev-${prng.int(1, 3000)}`,
    tags: ["git"],
    requestHash: ctx.hash(),
    prefixHash: "commit-v2",
    prefixTokens: PREFIX_TOKENS,
  });
  if (oversized) {
    ctx.plant(OpportunityKind.MODEL_RIGHTSIZING, record, { ...record, model: DevModels.COMMIT.model, provider: DevModels.COMMIT.provider });
  }
  return [record];
}
