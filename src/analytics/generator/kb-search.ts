import { OpportunityKind } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { CONV_CONTEXT, CONV_GENERATED } from "./calibration.ts";
import { type EpisodeContext, type RecentAnswer, tokens } from "./episode-context.ts";
import { Feature, Models } from "./saas-scenario.ts";

// Knowledge-base search: one RAG answer on Claude Sonnet 4 with a long, stable system prompt per product area,
// temperature 0. Done right, the prompt prefix is marked for Anthropic's cache (a write when the cache is cold,
// a read within its 5-minute life) and nobody asks twice. Planted waste: calls without cache_control
// (prompt_caching) and the same request repeated shortly after a successful answer (response_caching).

/** Stable prefixes (system prompt + instructions) of the six product areas, all above Anthropic's 1,024 minimum. */
const SEARCH_PREFIX_TOKENS: readonly number[] = [2400, 2650, 2900, 3100, 3350, 3600];
const PREFIX_WEIGHTS: readonly number[] = [0.35, 0.22, 0.15, 0.12, 0.09, 0.07];
/** Anthropic's default cache lifetime, refreshed by every read. */
const ANTHROPIC_CACHE_TTL_MS = 5 * 60_000;
/** How long a past answer stays a candidate for an identical request. */
const REPEAT_WINDOW_MS = 10 * 60_000;

/** A random recent answer that was complete before `atMs` (only those can be served again). */
function earlierAnswer(ctx: EpisodeContext, atMs: number): RecentAnswer | undefined {
  const recent = ctx.recentAnswers;
  for (let i = ctx.prng.int(0, recent.length - 1); i >= 0; i--) {
    const answer = recent[i];
    if (answer !== undefined && answer.endMs < atMs) return answer;
  }
  return undefined;
}

function searchPrefixHash(index: number): string {
  return `kb-prefix-${index}`;
}

export function kbSearchCall(ctx: EpisodeContext, atMs: number): UsageRecord[] {
  const { prng, rates } = ctx;
  while ((ctx.recentAnswers[0]?.endMs ?? Number.POSITIVE_INFINITY) < atMs - REPEAT_WINDOW_MS) ctx.recentAnswers.shift();
  const repeat = prng.chance(rates[OpportunityKind.RESPONSE_CACHING]) ? earlierAnswer(ctx, atMs) : undefined;
  const prefixIndex = repeat?.prefixIndex ?? prng.weighted(PREFIX_WEIGHTS);
  const prefix = SEARCH_PREFIX_TOKENS[prefixIndex] ?? 0;
  // Retrieved passages + question follow the Azure conversation prompt sizes.
  const input = repeat?.input ?? prefix + tokens(prng, CONV_CONTEXT, 50, 12_000);
  const output = repeat?.output ?? tokens(prng, CONV_GENERATED, 1, 1000);
  const uncached = repeat === undefined && prng.chance(rates[OpportunityKind.PROMPT_CACHING]);
  const lastUse = ctx.searchCacheUsedAt.get(prefixIndex);
  const warm = lastUse !== undefined && atMs - lastUse <= ANTHROPIC_CACHE_TTL_MS;
  const cached = warm ? { cacheRead: prefix } : { cacheWrite: prefix };
  const record = ctx.call({
    atMs,
    model: Models.SEARCH,
    feature: Feature.KB_SEARCH,
    input,
    output,
    ...(uncached ? {} : cached),
    finishReason: "end_turn",
    maxTokens: 1024,
    temperature: 0,
    stream: true,
    serviceTier: "standard",
    userId: `user-${prng.int(1, 20_000)}`,
    tags: ["search"],
    requestHash: repeat?.requestHash ?? ctx.hash(),
    prefixHash: searchPrefixHash(prefixIndex),
    prefixTokens: prefix,
  });
  if (uncached) {
    // Fixed, every call of the prefix would keep the cache warm: a read if any call sent it within the TTL.
    const lastSent = ctx.searchPrefixSentAt.get(prefixIndex);
    const fixedWarm = lastSent !== undefined && atMs - lastSent <= ANTHROPIC_CACHE_TTL_MS;
    const fixed = fixedWarm ? { ...record, cache_read_tokens: prefix } : { ...record, cache_write_tokens: prefix };
    ctx.plant(OpportunityKind.PROMPT_CACHING, record, fixed);
  } else {
    ctx.searchCacheUsedAt.set(prefixIndex, atMs);
  }
  ctx.searchPrefixSentAt.set(prefixIndex, atMs);
  if (repeat !== undefined) ctx.plant(OpportunityKind.RESPONSE_CACHING, record, null);
  else {
    ctx.recentAnswers.push({
      requestHash: record.request_hash ?? "",
      input,
      output,
      prefixIndex,
      endMs: atMs + (record.duration_ms ?? 0),
    });
  }
  return [record];
}
