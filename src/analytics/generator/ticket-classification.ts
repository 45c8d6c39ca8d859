import { OpportunityKind } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { CODE_GENERATED, CONV_CONTEXT } from "./calibration.ts";
import { type EpisodeContext, tokens } from "./episode-context.ts";
import { Feature, Models } from "./saas-scenario.ts";

// Ticket classification: label an incoming ticket (queue, urgency, language) with a short JSON answer. Done right,
// on gpt-4.1-nano. Planted waste (model_rightsizing): part of the calls still go to gpt-4o, 25x the price for
// the same short, tool-free output.

const CLASSIFIER_PREFIX_TOKENS = 300;

export function ticketClassificationCall(ctx: EpisodeContext, atMs: number): UsageRecord[] {
  const { prng } = ctx;
  const oversized = prng.chance(ctx.rates[OpportunityKind.MODEL_RIGHTSIZING]);
  const record = ctx.call({
    atMs,
    model: oversized ? Models.CLASSIFIER_OVERSIZED : Models.CLASSIFIER,
    feature: Feature.TICKET_CLASSIFICATION,
    // Ticket text follows the Azure conversation prompt sizes; labels follow the short code-completion outputs.
    input: CLASSIFIER_PREFIX_TOKENS + tokens(prng, CONV_CONTEXT, 20, 8000),
    output: tokens(prng, CODE_GENERATED, 1, 200),
    finishReason: "stop",
    maxTokens: 256,
    temperature: 0,
    stream: false,
    serviceTier: "standard",
    userId: `user-${prng.int(1, 20_000)}`,
    tags: ["realtime", "classification"],
    requestHash: ctx.hash(),
    prefixHash: "classifier-v2",
    prefixTokens: CLASSIFIER_PREFIX_TOKENS,
  });
  if (oversized) {
    const right = { ...record, model: Models.CLASSIFIER.model, provider: Models.CLASSIFIER.provider };
    ctx.plant(OpportunityKind.MODEL_RIGHTSIZING, record, right);
  }
  return [record];
}
