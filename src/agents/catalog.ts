import type { Agent } from "../runtime/agent.ts";
import type { Registry } from "../runtime/registry.ts";
import type { ApexServices } from "../tools/services.ts";
import { actionsAgent } from "./actions.ts";
import { corpusAdminAgent } from "./corpus-admin.ts";
import { dataGuideAgent } from "./data-guide.ts";
import { dataAgent } from "./data.ts";
import { optimizeAgent } from "./optimize.ts";
import { reportAgent } from "./report.ts";
import { syntheticDataAgent } from "./synthetic-data.ts";
import { triageAgent } from "./triage.ts";

// The Apex agents of the canonical pipeline (names.ts PIPELINE). They hold no per-run state, so one value serves all runs.

export const APEX_AGENTS: readonly Agent<ApexServices>[] = [triageAgent, syntheticDataAgent, corpusAdminAgent, dataGuideAgent, dataAgent, optimizeAgent, actionsAgent, reportAgent];

export function registerApexAgents(registry: Registry<Agent<ApexServices>>): Registry<Agent<ApexServices>> {
  for (const agent of APEX_AGENTS) registry.register(agent.name, agent);
  return registry;
}
