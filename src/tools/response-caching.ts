import { z } from "zod";
import type { DuplicateRequestRow } from "../analytics/store.ts";
import { OpportunityKind, ToolName } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import { defineAnalysis, round } from "./analysis-tool.ts";
import { scopeOf } from "./opportunity.ts";

// response_caching: identical requests (same request_hash, temperature 0 or absent) sent again within a window after an
// earlier one completed (a failed or truncated answer is not cacheable). Savings: the whole cost of those repeats,
// i.e. Σ over request groups of (n - 1) x their mean cost.

const THRESHOLDS = {
  /** How long an answer may be served from a cache. */
  windowSeconds: z.number().positive().default(3600),
  /** Repeats needed in a (feature, model) before it is reported. */
  minRepeats: z.number().int().positive().default(10),
};

interface Group {
  feature: string | null;
  model: string;
  rows: DuplicateRequestRow[];
}

export const responseCachingTool = defineAnalysis({
  name: ToolName.FIND_RESPONSE_CACHING,
  description:
    "Finds identical deterministic requests sent again shortly after a complete answer; estimates the monthly " +
    "savings of serving the repeats from a response cache.",
  thresholds: THRESHOLDS,
  async find(params, frame, services) {
    const rows = await services.usage.duplicateRequests(frame.scope, { windowSeconds: params.windowSeconds });
    const groups = new Map<string, Group>();
    for (const row of rows) {
      const key = `${row.feature ?? ""}\u0000${row.model}`;
      const group = groups.get(key) ?? { feature: row.feature, model: row.model, rows: [] };
      group.rows.push(row);
      groups.set(key, group);
    }
    const found: Opportunity[] = [];
    for (const g of groups.values()) {
      const repeats = g.rows.reduce((s, r) => s + r.repeats, 0);
      const cost = g.rows.reduce((s, r) => s + (r.repeat_cost_usd ?? 0), 0);
      const unpriced = g.rows.reduce((s, r) => s + r.unpriced_repeats, 0);
      if (repeats < params.minRepeats || cost <= 0) continue;
      const where = g.feature ?? "calls without a feature";
      found.push({
        kind: OpportunityKind.RESPONSE_CACHING,
        title: `Serve repeated ${where} requests on ${g.model} from a response cache`,
        scope: scopeOf({ feature: g.feature, model: g.model }),
        est_monthly_savings_usd: round(cost * frame.perMonth, 6),
        confidence: 0.7,
        evidence: {
          counts: {
            repeated_requests: g.rows.length,
            repeats,
            calls_of_those_requests: g.rows.reduce((s, r) => s + r.calls, 0),
            repeat_cost_usd: round(cost, 6),
            unpriced_repeats: unpriced,
          },
          query: "duplicateRequests",
          example_record_ids: g.rows.flatMap((r) => r.example_ids).slice(0, 5),
        },
        assumptions: [
          `Equal request_hash means the same model, messages, tools and temperature; answers stay valid for ${params.windowSeconds} s.`,
          "Only deterministic requests (temperature 0 or unset) after a complete, successful answer are counted.",
          ...(unpriced > 0 ? [`${unpriced} repeats of unpriced models are left out of the savings.`] : []),
          frame.periodNote,
        ],
        actions: [
          {
            step: `Put an exact-match response cache in front of ${where}`,
            detail: `Key it on the request hash (model + messages + tools + temperature), TTL ${params.windowSeconds} s; cache only complete answers (finish_reason stop).`,
          },
          { step: "Invalidate the cache when the knowledge base or prompt version changes" },
        ],
      });
    }
    return found;
  },
});
