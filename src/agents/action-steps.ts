import type { TokenPercentiles } from "./tool-results.ts";
import { OpportunityKind, type OpportunityKindName } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";

// The concrete change behind each kind of opportunity: which parameter, which model, where the cache breakpoint goes,
// which endpoint, which max_tokens, which retry policy. Numbers come from the finding and the user's own percentiles.

export type Effort = "low" | "medium" | "high";
export interface Step {
  step: string;
  detail?: string;
}

export const EFFORT: Readonly<Record<OpportunityKindName, Effort>> = {
  [OpportunityKind.PRIORITY_TIER]: "low",
  [OpportunityKind.OUTPUT_TRUNCATION]: "low",
  [OpportunityKind.RETRY_WASTE]: "low",
  [OpportunityKind.PROMPT_CACHING]: "low",
  [OpportunityKind.MODEL_RIGHTSIZING]: "medium",
  [OpportunityKind.RESPONSE_CACHING]: "medium",
  [OpportunityKind.BATCH_API]: "medium",
  [OpportunityKind.CONTEXT_BLOAT]: "high",
};

/** Headroom over the observed p99 output when suggesting a max_tokens value. */
const MAX_TOKENS_HEADROOM = 1.25;

export interface StepContext {
  /** Per-model token percentiles of the scope. */
  percentiles: readonly TokenPercentiles[];
  /** Provider id of a model (`openai`, `anthropic`…), when known. */
  providerOf(model: string): string | undefined;
  /** Cheaper same-provider models, nearest in price first. */
  cheaperModels(model: string): string[];
}

const where = (o: Opportunity): string => {
  const parts = [o.scope.feature ? `feature ${o.scope.feature}` : "", o.scope.model ? `model ${o.scope.model}` : ""].filter((p) => p !== "");
  return parts.length === 0 ? "the affected calls" : parts.join(" on ");
};

/** A max_tokens that fits the observed answers: p99 output plus headroom, rounded up to a multiple of 64. */
export function suggestedMaxTokens(percentiles: readonly TokenPercentiles[], model: string | undefined): number | null {
  const row = percentiles.find((p) => p.key === model) ?? (percentiles.length === 1 ? percentiles[0] : undefined);
  if (row === undefined || row.calls === 0 || row.output_tokens.p99 <= 0) return null;
  return Math.ceil((row.output_tokens.p99 * MAX_TOKENS_HEADROOM) / 64) * 64;
}

function targetModel(o: Opportunity, ctx: StepContext): string | null {
  const named = o.scope.target_model ?? o.scope.to_model ?? o.scope.suggested_model;
  if (named !== undefined) return named;
  const model = o.scope.model;
  if (model === undefined) return null;
  const cheaper = ctx.cheaperModels(model);
  // The cheapest of the same provider is the saving the analysis estimates; the list is nearest first.
  return cheaper.at(-1) ?? null;
}

/** The concrete steps for one opportunity. */
export function stepsFor(o: Opportunity, ctx: StepContext): Step[] {
  const at = where(o);
  const model = o.scope.model;
  const provider = model === undefined ? undefined : ctx.providerOf(model);
  switch (o.kind) {
    case OpportunityKind.MODEL_RIGHTSIZING: {
      const target = targetModel(o, ctx);
      return [
        target === null
          ? { step: `Move ${at} to a cheaper model of the same provider` }
          : { step: `Change the model of ${at} to ${target}`, detail: `Set \`model: "${target}"\` in that feature's call configuration; keep the prompt as it is.` },
        { step: "A/B check before switching everything", detail: "Send about 5% of the traffic to the new model for a week and compare answers (or your quality metric) before moving the rest." },
      ];
    }
    case OpportunityKind.PROMPT_CACHING:
      return provider === "anthropic"
        ? [
            { step: `Add a cache breakpoint for ${at}`, detail: 'Put `cache_control: {"type": "ephemeral"}` on the last block of the stable prefix (the system prompt and tool definitions), so everything before it is cached.' },
            { step: "Keep the prefix byte-identical", detail: "Move dates, user names and other per-call values after the breakpoint; any change before it misses the cache." },
          ]
        : [
            { step: `Put the stable prefix first for ${at}`, detail: "Order each request as system prompt, tool definitions, fixed examples, then the per-call content: OpenAI caches identical prefixes of 1,024 tokens or more automatically." },
            { step: "Keep the prefix byte-identical", detail: "Move timestamps, ids and user data out of the system prompt; set `prompt_cache_key` per feature to keep the hit rate up." },
          ];
    case OpportunityKind.RESPONSE_CACHING:
      return [
        { step: `Cache the answers of ${at}`, detail: "Key a cache on the normalized request (model, messages, tools, temperature) and serve repeats from it; store only successful, non-truncated answers." },
        { step: "Pick an expiry that matches how fast the answers change", detail: "Start with one hour and lengthen it while the answers stay correct." },
      ];
    case OpportunityKind.BATCH_API:
      return [
        {
          step: `Send the jobs of ${at} to the batch endpoint`,
          detail:
            provider === "anthropic"
              ? "Submit them through the Message Batches API (POST /v1/messages/batches): half price, results within 24 hours."
              : "Write the requests to a JSONL file and submit it through the Batch API (POST /v1/files, then POST /v1/batches with completion_window 24h): half price.",
        },
        { step: "Collect the results on a schedule", detail: "Poll the batch (or use its webhook) and pick the results up before they are needed." },
      ];
    case OpportunityKind.PRIORITY_TIER:
      return [{ step: `Drop the priority tier for ${at}`, detail: 'Remove `service_tier: "priority"` (or set it to "default") on these calls; keep priority only where a user waits on the answer.' }];
    case OpportunityKind.OUTPUT_TRUNCATION: {
      const value = suggestedMaxTokens(ctx.percentiles, model);
      return [
        value === null
          ? { step: `Raise max_tokens for ${at}`, detail: "Answers hit the limit and are sent again in full: raise max_tokens above the longest answer you need." }
          : { step: `Set max_tokens to ${value} for ${at}`, detail: `That is the 99th-percentile answer length of your calls plus 25%: answers stop being cut off and re-sent.` },
        { step: "Or ask for shorter answers", detail: "If long answers are not wanted, say the length in the prompt instead of cutting them off." },
      ];
    }
    case OpportunityKind.RETRY_WASTE:
      return [
        { step: `Retry only retryable errors for ${at}`, detail: "Retry 429, 5xx and timeouts only; never re-send a 400-class error unchanged." },
        { step: "Back off before retrying", detail: "Exponential back-off with jitter (1 s, 2 s, 4 s; at most 3 attempts), honouring the retry-after header." },
      ];
    case OpportunityKind.CONTEXT_BLOAT:
      return [
        { step: `Trim the conversation history of ${at}`, detail: "Send the system prompt, a running summary and the last few turns instead of the whole history." },
        { step: "Cap the input size", detail: "Set a token budget per request and drop or summarize the oldest turns past it, staying below long-context price tiers." },
      ];
  }
}
