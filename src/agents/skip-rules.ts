import type { AgentView } from "../runtime/agent.ts";
import { readAdminCommand } from "./admin-request.ts";
import { readCorpusCommand } from "./corpus-request.ts";
import type { TriageResult } from "./hand-offs.ts";
import { Intent } from "./intent.ts";
import { MetadataKey } from "./metadata-keys.ts";

// Who runs for which request. Data, Optimize and Actions need usage data: on an empty account the Data Guide runs
// instead. A request to generate a dataset is the Synthetic Data agent's alone, and a request to describe, rename or
// delete one, or an administration command (catalog, accounts), is the Corpus Admin's: every other agent after Triage
// skips itself for those runs.

const NOT_TRIAGED = "the request was not triaged";

function generating(view: AgentView): boolean {
  return view.metadata.get<TriageResult>(MetadataKey.TRIAGE)?.intent === Intent.GENERATE_DATA;
}

function administering(view: AgentView): boolean {
  if (view.metadata.get<TriageResult>(MetadataKey.TRIAGE)?.intent !== Intent.ADMIN) return false;
  return readCorpusCommand(view.request) !== null || readAdminCommand(view.request) !== null;
}

/** For the agents that have nothing to do when another agent acts on the user's datasets in this run. */
export function skipForDatasetRun(view: AgentView): string | null {
  if (generating(view)) return "this run generates a synthetic dataset";
  if (administering(view)) return "this run manages one of your datasets, the catalog or accounts";
  return null;
}

export function skipWithoutData(view: AgentView): string | null {
  const triage = view.metadata.get<TriageResult>(MetadataKey.TRIAGE);
  if (triage === undefined) return NOT_TRIAGED;
  const elsewhere = skipForDatasetRun(view);
  if (elsewhere !== null) return elsewhere;
  return triage.has_data ? null : "there is no usage data to analyse yet";
}

/** The Synthetic Data agent's: it runs only for a request to generate a dataset. */
export function skipUnlessGenerating(view: AgentView): string | null {
  if (!view.metadata.has(MetadataKey.TRIAGE)) return NOT_TRIAGED;
  return generating(view) ? null : "the request does not ask for a synthetic dataset";
}

/** The Corpus Admin's: it runs only for a request to describe, rename or delete a dataset, or an admin command. */
export function skipUnlessAdministering(view: AgentView): string | null {
  if (!view.metadata.has(MetadataKey.TRIAGE)) return NOT_TRIAGED;
  return administering(view) ? null : "the request does not name a dataset to manage, nor a catalog or account action";
}
