import type { AgentInput, AgentResult } from "../runtime/agent.ts";
import type { ApexServices } from "../tools/services.ts";
import { emptyReport } from "./report-builder.ts";

// For the agents that act rather than analyse (Synthetic Data, Corpus Admin): the run's report is one paragraph of
// what was done, and their approval questions share one lifetime.

/** How long an approval question stays open when the server sets none. */
const DEFAULT_APPROVAL_TTL_MS = 15 * 60_000;

export function approvalTtl(services: ApexServices): number {
  return services.approvalTtlMs ?? DEFAULT_APPROVAL_TTL_MS;
}

/** Says `text`, emits it as the run's report, and ends the agent with it. */
export async function finish(input: AgentInput<ApexServices>, text: string): Promise<AgentResult> {
  await input.think(text);
  await input.report(emptyReport(text, []));
  return { summary: text };
}
