import { OpportunityKind } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { CODE_CONTEXT, CONV_GENERATED } from "./calibration.ts";
import { type EpisodeContext, openAiCachedTokens, type RecentAnswer, tokens } from "./episode-context.ts";
import { DevFeature, DevModels } from "./devtools-scenario.ts";

// Code search (devtools): one question over the repository on gpt-4.1-mini with a stable tool prefix per index, at
// temperature 0. OpenAI caches a prefix sent within the last 5 minutes by itself. Planted waste: calls that put the
// request's own content before the prefix so nothing is cached (prompt_caching), and the same question asked again
// shortly after a complete answer (response_caching).

const PREFIX_TOKENS: readonly number[] = [1300, 1800, 2300];
const PREFIX_WEIGHTS: readonly number[] = [0.5, 0.3, 0.2];
const OPENAI_CACHE_TTL_MS = 5 * 60_000;
const REPEAT_WINDOW_MS = 10 * 60_000;

function earlierAnswer(ctx: EpisodeContext, atMs: number): RecentAnswer | undefined {
  const recent = ctx.recentAnswers;
  for (let i = ctx.prng.int(0, recent.length - 1); i >= 0; i--) {
    const answer = recent[i];
    if (answer !== undefined && answer.endMs < atMs) return answer;
  }
  return undefined;
}

export function codeSearchCall(ctx: EpisodeContext, atMs: number): UsageRecord[] {
  const { prng, rates } = ctx;
  while ((ctx.recentAnswers[0]?.endMs ?? Number.POSITIVE_INFINITY) < atMs - REPEAT_WINDOW_MS) ctx.recentAnswers.shift();
  const repeat = prng.chance(rates[OpportunityKind.RESPONSE_CACHING]) ? earlierAnswer(ctx, atMs) : undefined;
  const prefixIndex = repeat?.prefixIndex ?? prng.weighted(PREFIX_WEIGHTS);
  const prefix = PREFIX_TOKENS[prefixIndex] ?? 0;
  const input = repeat?.input ?? prefix + tokens(prng, CODE_CONTEXT, 50, 20_000);
  const output = repeat?.output ?? tokens(prng, CONV_GENERATED, 5, 1500);
  const unstable = repeat === undefined && prng.chance(rates[OpportunityKind.PROMPT_CACHING]);
  const lastSent = ctx.searchPrefixSentAt.get(prefixIndex);
  const warm = lastSent !== undefined && atMs - lastSent <= OPENAI_CACHE_TTL_MS;
  const cacheRead = warm ? openAiCachedTokens(prefix) : 0;
  const record = ctx.call({
    atMs,
    model: DevModels.SEARCH,
    feature: DevFeature.CODE_SEARCH,
    input,
    output,
    cacheRead: unstable ? 0 : cacheRead,
    finishReason: "stop",
    maxTokens: 2048,
    temperature: 0,
    stream: true,
    serviceTier: "standard",
    userId: `dev-${prng.int(1, 3000)}`,
    tags: ["search"],
    requestHash: repeat?.requestHash ?? ctx.hash(),
    prefixHash: `code-index-${prefixIndex}`,
    prefixTokens: prefix,
  });
  if (unstable && cacheRead > 0) ctx.plant(OpportunityKind.PROMPT_CACHING, record, { ...record, cache_read_tokens: cacheRead });
  ctx.searchPrefixSentAt.set(prefixIndex, atMs);
  if (repeat !== undefined) ctx.plant(OpportunityKind.RESPONSE_CACHING, record, null);
  else {
    ctx.recentAnswers.push({ requestHash: record.request_hash ?? "", input, output, prefixIndex, endMs: atMs + (record.duration_ms ?? 0) });
  }
  return [record];
}
