import type { ScenarioName } from "../analytics/generator/saas-scenario.ts";
import { DEVTOOLS_WASTE_RATES } from "../analytics/generator/devtools-scenario.ts";
import { NO_WASTE, SAAS_WASTE_RATES } from "../analytics/generator/saas-scenario.ts";
import { OpportunityKind, type OpportunityKindName } from "../protocol/names.ts";

// The workloads the evaluation runs: the generator's scenarios (`saas`, `devtools`: other features, models and
// providers), `saas` at halved waste rates (weaker signals), and both kinds of traffic with no waste at all.

export interface EvalScenario {
  label: string;
  scenario: ScenarioName;
  description: string;
  wasteRates?: Partial<Record<OpportunityKindName, number>>;
}

function rates(of: Readonly<Record<OpportunityKindName, number>>): string {
  return Object.values(of).join("/");
}

const halved = Object.fromEntries(
  Object.values(OpportunityKind).map((kind) => [kind, SAAS_WASTE_RATES[kind] / 2]),
) as Record<OpportunityKindName, number>;

export const EVAL_SCENARIOS: readonly EvalScenario[] = [
  { label: "saas", scenario: "saas", description: `customer-support SaaS, waste rates ${rates(SAAS_WASTE_RATES)}` },
  { label: "saas-light", scenario: "saas", description: "the same traffic with every waste rate halved", wasteRates: halved },
  { label: "devtools", scenario: "devtools", description: `developer tools on three providers, waste rates ${rates(DEVTOOLS_WASTE_RATES)}` },
  { label: "clean", scenario: "clean", description: "the saas traffic with no waste: every finding is false" },
  { label: "devtools-clean", scenario: "devtools", description: "the devtools traffic with no waste", wasteRates: NO_WASTE },
];
