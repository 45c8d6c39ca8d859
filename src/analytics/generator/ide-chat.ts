import { OpportunityKind } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { CONV_GENERATED } from "./calibration.ts";
import { type EpisodeContext, tokens } from "./episode-context.ts";
import { DevFeature, DevModels } from "./devtools-scenario.ts";

// IDE chat (devtools): a developer's session of 3-12 turns on Claude Sonnet 4, streamed. Done right, each turn sends
// the system prompt, a running summary and the new message (with the code snippet). Planted waste (context_bloat):
// sessions that re-send the whole conversation every turn, with no prompt caching.

const SYSTEM_TOKENS = 900;
const SUMMARY_TOKENS = 250;
const MIN_BLOATED_TURNS = 4;

export function ideChatSession(ctx: EpisodeContext, startMs: number): UsageRecord[] {
  const { prng } = ctx;
  const turns = Math.min(12, 3 + prng.geometric(0.4));
  // A question with a pasted snippet (an assumption); answers follow the Azure conversation trace.
  const messages = Array.from({ length: turns }, () => tokens(prng, { median: 180, sigma: 0.9 }, 10, 3000));
  const answers = Array.from({ length: turns }, () => tokens(prng, CONV_GENERATED, 1, 1500));
  const bloated = turns >= MIN_BLOATED_TURNS && prng.chance(ctx.rates[OpportunityKind.CONTEXT_BLOAT]);
  const session = { userId: `dev-${prng.int(1, 3000)}`, sessionId: `ide-${ctx.hash()}` };
  const out: UsageRecord[] = [];
  let history = 0;
  let at = startMs;
  for (let turn = 1; turn <= turns; turn++) {
    const message = messages[turn - 1] ?? 0;
    const trimmed = SYSTEM_TOKENS + (turn === 1 ? 0 : SUMMARY_TOKENS) + message;
    const record = ctx.call({
      atMs: at,
      model: DevModels.CHAT,
      feature: DevFeature.IDE_CHAT,
      input: bloated ? SYSTEM_TOKENS + history + message : trimmed,
      output: answers[turn - 1] ?? 0,
      finishReason: "end_turn",
      maxTokens: 4096,
      temperature: 0.5,
      stream: true,
      serviceTier: "standard",
      ...session,
      tags: ["ide"],
      requestHash: ctx.hash(),
      prefixHash: "ide-system-v7",
      prefixTokens: SYSTEM_TOKENS,
    });
    if (bloated && turn > 1) ctx.plant(OpportunityKind.CONTEXT_BLOAT, record, { ...record, input_tokens: trimmed });
    out.push(record);
    history += message + (answers[turn - 1] ?? 0);
    at = Date.parse(record.timestamp) + (record.duration_ms ?? 0) + Math.round(Math.min(600_000, prng.logNormal(60_000, 0.7)));
  }
  return out;
}
