import type { AgentView } from "../runtime/agent.ts";
import type { TriageResult } from "./hand-offs.ts";
import { MetadataKey } from "./metadata-keys.ts";

// Data, Optimize and Actions need usage data: on an empty account the Data Guide runs instead.

export function skipWithoutData(view: AgentView): string | null {
  const triage = view.metadata.get<TriageResult>(MetadataKey.TRIAGE);
  if (triage === undefined) return "the request was not triaged";
  return triage.has_data ? null : "there is no usage data to analyse yet";
}
