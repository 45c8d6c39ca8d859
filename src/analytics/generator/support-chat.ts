import { OpportunityKind } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { CONV_GENERATED } from "./calibration.ts";
import { type EpisodeContext, openAiCachedTokens, tokens } from "./episode-context.ts";
import { Feature, Models } from "./saas-scenario.ts";

// Support chat: a customer's session of 3-12 turns on gpt-4o, streamed. Done right, each turn sends the system
// prompt, a running summary and the new message. Planted waste: sessions that re-send the whole history
// (context_bloat), and answers cut at a 256-token cap then asked again (output_truncation).

export const CHAT_SYSTEM_TOKENS = 700;
/** Size of the running summary that replaces the history in a well-built session. */
export const CHAT_SUMMARY_TOKENS = 150;
const CHAT_MAX_TOKENS = 1024;
/** The cap of the misconfigured client whose long answers get truncated. */
const CHAT_TRUNCATING_MAX_TOKENS = 256;
const PREFIX_HASH = "chat-system-v3";
const BLOAT_MIN_TURNS = 4;

export function supportChatSession(ctx: EpisodeContext, startMs: number): UsageRecord[] {
  const { prng, rates } = ctx;
  const turns = Math.min(12, 3 + prng.geometric(0.35));
  // User messages are an assumption (no trace has them); answers follow the Azure conversation trace.
  const messages = Array.from({ length: turns }, () => tokens(prng, { median: 60, sigma: 0.8 }, 5, 500));
  const answers = Array.from({ length: turns }, () => tokens(prng, CONV_GENERATED, 1, 1000));
  // Re-sending the history only matters once it has grown: the last prompt must be at least twice the first.
  const fullHistory = CHAT_SYSTEM_TOKENS + sumOf(messages) + sumOf(answers) - (answers.at(-1) ?? 0);
  const bloated =
    turns >= BLOAT_MIN_TURNS &&
    fullHistory >= 2 * (CHAT_SYSTEM_TOKENS + (messages[0] ?? 0)) &&
    prng.chance(rates[OpportunityKind.CONTEXT_BLOAT]);
  const session = { userId: `user-${prng.int(1, 20_000)}`, sessionId: `sess-${ctx.hash()}` };
  const out: UsageRecord[] = [];
  let history = 0;
  let previousInput = 0;
  let at = startMs;
  for (let turn = 1; turn <= turns; turn++) {
    const message = messages[turn - 1] ?? 0;
    const answer = answers[turn - 1] ?? 0;
    const trimmed = turn === 1 ? CHAT_SYSTEM_TOKENS + message : CHAT_SYSTEM_TOKENS + CHAT_SUMMARY_TOKENS + message;
    const input = bloated ? CHAT_SYSTEM_TOKENS + history + message : trimmed;
    // OpenAI caches a repeated prefix by itself: a bloated turn starts with the whole previous prompt.
    const cacheRead = bloated && turn > 1 ? openAiCachedTokens(previousInput) : 0;
    const base = {
      model: Models.CHAT,
      feature: Feature.SUPPORT_CHAT,
      input,
      cacheRead,
      temperature: 0.7,
      stream: true,
      serviceTier: "standard" as const,
      ...session,
      tags: ["chat"],
      requestHash: ctx.hash(),
      prefixHash: PREFIX_HASH,
      prefixTokens: CHAT_SYSTEM_TOKENS,
    };
    if (!bloated && answer > CHAT_TRUNCATING_MAX_TOKENS && prng.chance(rates[OpportunityKind.OUTPUT_TRUNCATION])) {
      const cut = ctx.call({
        ...base,
        atMs: at,
        output: CHAT_TRUNCATING_MAX_TOKENS,
        finishReason: "length",
        maxTokens: CHAT_TRUNCATING_MAX_TOKENS,
      });
      ctx.plant(OpportunityKind.OUTPUT_TRUNCATION, cut, null);
      out.push(cut);
      at = Date.parse(cut.timestamp) + (cut.duration_ms ?? 0) + prng.int(1_000, 8_000);
      base.cacheRead = openAiCachedTokens(input);
    }
    const record = ctx.call({ ...base, atMs: at, output: answer, finishReason: "stop", maxTokens: CHAT_MAX_TOKENS });
    if (bloated && turn > 1) {
      ctx.plant(OpportunityKind.CONTEXT_BLOAT, record, { ...record, input_tokens: trimmed, cache_read_tokens: 0 });
    }
    out.push(record);
    history += message + answer;
    previousInput = input;
    // Reading, thinking and typing between turns; always within OpenAI's 5-minute cache lifetime.
    at = Date.parse(record.timestamp) + (record.duration_ms ?? 0) + Math.round(Math.min(240_000, prng.logNormal(35_000, 0.6)));
  }
  return out;
}

function sumOf(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
