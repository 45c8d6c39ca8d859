import { z } from "zod";
import type { SessionContextRow } from "../analytics/store.ts";
import { OpportunityKind, ToolName } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import type { ModelPrices } from "../pricing/model-prices.ts";
import { defineAnalysis, round } from "./analysis-tool.ts";
import { longContextCrossings } from "./long-context-crossing.ts";
import { scopeOf } from "./opportunity.ts";

// context_bloat: sessions whose input grows turn after turn (the full history re-sent). The trimmed target of a later
// turn is what the feature's other sessions send at later turns (system prompt + summary + new message); without such
// sessions, the first turn plus a summary budget. Savings: Σ (billed input of later turns - target) at p_in; plus the
// calls crossing a long-context price tier (long-context-crossing.ts).

const THRESHOLDS = {
  minTurns: z.number().int().min(3).default(4),
  minSessions: z.number().int().positive().default(10),
  /**
   * Share of the feature's sessions of minTurns+ turns that must be bloated: a few sessions whose messages happen to
   * grow every turn are chance (under 1% on well-built traffic), a client re-sending history is systematic.
   */
  minBloatedShare: z.number().min(0).max(1).default(0.05),
  /** Sessions needed to learn the trimmed later-turn input from the feature's own well-built sessions. */
  minReferenceSessions: z.number().int().positive().default(20),
  /** Running-summary budget added to the first turn when no reference sessions exist. */
  summaryTokens: z.number().int().nonnegative().default(200),
  /** Calls above a long-context price tier needed before a (feature, model) is reported. */
  minLongContextCalls: z.number().int().positive().default(5),
};

/** Every later turn sends at least the previous turn's input and answer: the whole history goes out again. */
function bloated(s: SessionContextRow, p: z.output<z.ZodObject<typeof THRESHOLDS>>): boolean {
  return s.turns >= p.minTurns && s.history_turns === s.turns - 1;
}

/** Billed input of turns 2..n, as what it cost in input-token terms, minus the trimmed target at the input price. */
function sessionSavings(s: SessionContextRow, targetPerTurn: number, prices: ModelPrices): number {
  const { input, cache_read: read, cache_write: write } = prices.rates;
  const uncached = Math.max(0, s.later_input_tokens - s.later_cache_read_tokens - s.later_cache_write_tokens);
  const billed = uncached * input + s.later_cache_read_tokens * read + s.later_cache_write_tokens * write;
  return Math.max(0, billed - (s.turns - 1) * targetPerTurn * input);
}

interface Group {
  feature: string | null;
  model: string;
  provider: string | null;
  flagged: SessionContextRow[];
  reference: SessionContextRow[];
}

export const contextBloatTool = defineAnalysis({
  name: ToolName.FIND_CONTEXT_BLOAT,
  description:
    "Finds chat sessions that re-send their full history every turn (input growing turn after turn); estimates " +
    "the monthly savings of trimming later turns to the system prompt, a running summary and the new message.",
  thresholds: THRESHOLDS,
  async find(params, frame, { usage, prices }) {
    const sessions = await usage.sessionContext(frame.scope, { minTurns: 2 });
    const groups = new Map<string, Group>();
    for (const s of sessions) {
      const key = `${s.feature ?? ""}\u0000${s.model}`;
      const g = groups.get(key) ?? { feature: s.feature, model: s.model, provider: s.provider, flagged: [], reference: [] };
      (bloated(s, params) ? g.flagged : g.reference).push(s);
      groups.set(key, g);
    }
    const found: Opportunity[] = [];
    for (const g of groups.values()) {
      const longSessions = g.flagged.length + g.reference.filter((s) => s.turns >= params.minTurns).length;
      if (g.flagged.length < params.minSessions || g.flagged.length < params.minBloatedShare * longSessions) continue;
      const modelPrices = prices.lookup(g.model, g.provider ?? undefined);
      if (modelPrices === undefined) continue;
      const referenceTurns = g.reference.reduce((sum, s) => sum + s.turns - 1, 0);
      const learned = g.reference.length >= params.minReferenceSessions && referenceTurns > 0;
      const referenceTarget = learned ? g.reference.reduce((sum, s) => sum + s.later_input_tokens, 0) / referenceTurns : 0;
      let observed = 0;
      for (const s of g.flagged) {
        const target = learned ? referenceTarget : s.first_input_tokens + params.summaryTokens;
        observed += sessionSavings(s, target, modelPrices);
      }
      if (observed <= 0) continue;
      const laterTurns = g.flagged.reduce((sum, s) => sum + s.turns - 1, 0);
      const laterInput = g.flagged.reduce((sum, s) => sum + s.later_input_tokens, 0);
      const where = g.feature ?? "sessions without a feature";
      found.push({
        kind: OpportunityKind.CONTEXT_BLOAT,
        title: `Trim the history re-sent by ${where} sessions on ${g.model}`,
        scope: scopeOf({ feature: g.feature, model: g.model }),
        est_monthly_savings_usd: round(observed * frame.perMonth, 6),
        confidence: learned ? 0.65 : 0.45,
        evidence: {
          counts: {
            bloated_sessions: g.flagged.length,
            sessions_of_min_turns: longSessions,
            other_sessions: g.reference.length,
            later_turns: laterTurns,
            mean_later_turn_input_tokens: Math.round(laterInput / laterTurns),
            trimmed_target_tokens: Math.round(learned ? referenceTarget : params.summaryTokens),
            observed_savings_usd: round(observed, 6),
          },
          query: "sessionContext",
          example_record_ids: g.flagged.flatMap((s) => s.example_ids.slice(-1)).slice(0, 5),
        },
        assumptions: [
          `A session is bloated when each of its ${params.minTurns}+ turns sends at least the previous turn's input ` +
            "and answer again (the full history).",
          learned
            ? `Trimmed, a later turn would send what the feature's ${g.reference.length} other sessions send: ` +
              `${Math.round(referenceTarget)} input tokens on average.`
            : `Trimmed, a later turn would send the first turn plus a ${params.summaryTokens}-token running summary.`,
          "Cache reads already billed at the discounted price are counted at that price; outputs are unchanged.",
          frame.periodNote,
        ],
        actions: [
          {
            step: `Replace the full history of ${where} with a running summary`,
            detail: "Send the system prompt, a short summary of earlier turns (about 150-200 tokens) and the new message; refresh the summary every few turns.",
          },
          { step: "Or keep only the last 2-3 turns verbatim and drop older tool outputs" },
        ],
      });
    }
    found.push(...(await longContextCrossings(frame, usage, prices, params.minLongContextCalls)));
    return found;
  },
});
