import type { TokenPercentiles, UnpricedModel, UsageBreakdownRow, UsageTotals } from "./tool-results.ts";
import { AgentName, ToolName } from "../protocol/names.ts";
import type { Agent } from "../runtime/agent.ts";
import type { ApexServices } from "../tools/services.ts";
import type { ScopeParams } from "../tools/scope.ts";
import type { DataFindings, TriageResult } from "./hand-offs.ts";
import { Intent } from "./intent.ts";
import { MetadataKey } from "./metadata-keys.ts";
import { count, plural, usd } from "./money.ts";
import { skipWithoutData } from "./skip-rules.ts";

// The Data agent: runs the query tools over the scope Triage resolved, and hands the figures on.

export const dataAgent: Agent<ApexServices> = {
  name: AgentName.DATA,
  description: "Querying your usage: totals, spend by model, feature and day, and models without a price.",
  skip: skipWithoutData,
  async run({ tools, metadata, think }) {
    const triage = metadata.get<TriageResult>(MetadataKey.TRIAGE);
    // A mutable copy: tool parameters are plain values, the metadata snapshot is read-only.
    const { models, features, ...rest } = triage?.scope ?? {};
    const scope: ScopeParams = { ...rest, ...(models ? { models: [...models] } : {}), ...(features ? { features: [...features] } : {}) };
    const totals = await tools.call<UsageTotals>(ToolName.USAGE_TOTALS, { scope });
    await think(
      totals.calls === 0
        ? "No calls match what you asked about; the report will say so."
        : `Found ${plural(totals.calls, "call")} costing ${usd(totals.cost_usd)} from ${totals.period.from?.slice(0, 10)} to ${totals.period.to?.slice(0, 10)}.`,
    );
    const byModel = await tools.call<UsageBreakdownRow[]>(ToolName.USAGE_BREAKDOWN, { scope, dimension: "model" });
    const byFeature = await tools.call<UsageBreakdownRow[]>(ToolName.USAGE_BREAKDOWN, { scope, dimension: "feature" });
    const byDay = await tools.call<UsageBreakdownRow[]>(ToolName.USAGE_BREAKDOWN, { scope, dimension: "day" });
    const top = byModel[0];
    if (top !== undefined && totals.cost_usd !== null && totals.cost_usd > 0) {
      await think(`${top.key ?? "unnamed model"} is the biggest line: ${usd(top.cost_usd)} (${Math.round(((top.cost_usd ?? 0) / totals.cost_usd) * 100)}% of the spend).`);
    }
    const users = triage?.entities.users ?? [];
    const byUser =
      users.length === 0 ? [] : (await tools.call<UsageBreakdownRow[]>(ToolName.USAGE_BREAKDOWN, { scope, dimension: "user_id" })).filter((r) => r.key !== null && users.includes(r.key));
    const unpriced = await tools.call<UnpricedModel[]>(ToolName.UNPRICED_MODELS, { scope });
    if (unpriced.length > 0) {
      await think(`${plural(unpriced.length, "model")} ha${unpriced.length === 1 ? "s" : "ve"} no price (${unpriced.map((u) => u.model).slice(0, 5).join(", ")}): their ${count(unpriced.reduce((s, u) => s + u.calls, 0))} calls are left out of costs, not counted as free.`);
    }
    const wantsPercentiles = triage?.intent === Intent.LATENCY || triage?.intent === Intent.COMPARE_MODELS;
    const percentiles = wantsPercentiles ? await tools.call<TokenPercentiles[]>(ToolName.USAGE_PERCENTILES, { scope, by: "model" }) : [];
    const findings: DataFindings = { scope, totals, by_model: byModel, by_feature: byFeature, by_day: byDay, by_user: byUser, unpriced_models: unpriced, percentiles };
    metadata.storeResult(MetadataKey.DATA, findings);
    return { summary: `${plural(totals.calls, "call")}, ${usd(totals.cost_usd)} over ${plural(byModel.length, "model")}.` };
  },
};
