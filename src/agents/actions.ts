import type { TokenPercentiles } from "./tool-results.ts";
import { AgentName, ToolName } from "../protocol/names.ts";
import type { ActionPlanStep, Opportunity } from "../protocol/report.ts";
import type { Agent } from "../runtime/agent.ts";
import type { ApexServices } from "../tools/services.ts";
import { EFFORT, stepsFor, type StepContext } from "./action-steps.ts";
import type { ActionsResult, DataFindings } from "./hand-offs.ts";
import { MetadataKey } from "./metadata-keys.ts";
import { plural, usd } from "./money.ts";
import { skipWithoutData } from "./skip-rules.ts";

// Actions: for every opportunity, the concrete change, its effort and its expected savings, ordered into a plan.

export function planOf(opportunities: readonly Opportunity[]): ActionPlanStep[] {
  return [...opportunities]
    .sort((a, b) => b.est_monthly_savings_usd - a.est_monthly_savings_usd)
    .map((o) => ({
      step: o.actions[0]?.step ?? o.title,
      opportunity_kind: o.kind,
      effort: EFFORT[o.kind],
      expected_savings_usd: o.est_monthly_savings_usd,
    }));
}

export const actionsAgent: Agent<ApexServices> = {
  name: AgentName.ACTIONS,
  description: "Turning each saving into concrete changes: the model to switch to, where the cache breakpoint goes, what goes to the batch endpoint, max_tokens and retry policy.",
  // Without it each opportunity keeps the steps its analysis wrote.
  required: false,
  skip: skipWithoutData,
  async run({ tools, metadata, services, think }) {
    const opportunities = metadata.get<Opportunity[]>(MetadataKey.OPPORTUNITIES, []);
    const data = metadata.get<DataFindings>(MetadataKey.DATA);
    const scope = data?.scope ?? {};
    // Per-model answer lengths give max_tokens values that fit the user's real outputs.
    const percentiles = await tools.call<TokenPercentiles[]>(ToolName.USAGE_PERCENTILES, { scope, by: "model" });
    const ctx: StepContext = {
      percentiles,
      providerOf: (model) => services.prices.providerOf(model),
      cheaperModels: (model) => services.prices.cheaperModels(model).map((c) => c.prices.model),
    };
    // An analysis that wrote its own steps knows the specifics (its target model, its prefixes): those stand.
    // Where it wrote none, the steps of its kind are filled in from the finding and the percentiles.
    const detailed: Opportunity[] = opportunities.map((o) => (o.actions.length > 0 ? (o as Opportunity) : { ...(o as Opportunity), actions: stepsFor(o as Opportunity, ctx) }));
    const filled = opportunities.filter((o) => o.actions.length === 0).length;
    if (filled > 0) await think(`Wrote the concrete steps of ${plural(filled, "finding")} that came without any.`);
    for (const o of detailed.slice(0, 5)) {
      await think(`${o.title}: ${o.actions[0]?.step ?? "no step"} (${EFFORT[o.kind]} effort, about ${usd(o.est_monthly_savings_usd)} a month).`);
    }
    if (detailed.length === 0) await think("No opportunity to act on, so no plan: your usage shows none of the known waste patterns.");
    const result: ActionsResult = { opportunities: detailed, action_plan: planOf(detailed) };
    metadata.storeResult(MetadataKey.ACTIONS, result);
    return { summary: `${plural(result.action_plan.length, "step")} planned.` };
  },
};
