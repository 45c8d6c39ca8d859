import { z } from "zod";
import { ToolName } from "../protocol/names.ts";
import type { CorpusDescription, CorpusIngestStatus } from "../protocol/rest.ts";
import { defineTool, type ToolCall } from "../runtime/tool.ts";
import { corpusNotFound, usageCorpusAdministration, type CorpusAdministration } from "./corpus-administration.ts";
import { CorpusNameSchema } from "./scope.ts";
import type { ApexServices } from "./services.ts";

// A user's own datasets from chat: describe, rename, delete. The owner is always the caller, so these need no admin
// role; another user's corpus is simply not found. Deleting is final: the agent asks the user before calling it.
// Renames and deletions go through a `CorpusAdministration` (corpus-administration.ts): on a server the same one the
// REST routes use, which also moves the corpus's settings and writes the audit log, so chat and REST cannot drift.

const corporaOf = (services: ApexServices): CorpusAdministration => services.corpora ?? usageCorpusAdministration(services.usage);

export const describeCorpusTool = defineTool({
  name: ToolName.DESCRIBE_CORPUS,
  description:
    "One of the calling user's datasets in full: records, calls, cost, period, its models and features, and its status (`partial`: its last upload stopped early and kept only `partial.records_kept` records; uploading the file again completes it).",
  parameters: z.object({ corpus: CorpusNameSchema }),
  async execute({ corpus }, call: ToolCall<ApexServices>): Promise<CorpusDescription & Partial<CorpusIngestStatus>> {
    const description = await call.services.usage.describeCorpus(call.context.userId, corpus);
    if (description === null) throw corpusNotFound(corpus);
    const status = (await call.services.corpora?.statuses?.(call.context.userId, corpus))?.get(corpus);
    return { ...description, ...status };
  },
});

export const renameCorpusTool = defineTool({
  name: ToolName.RENAME_CORPUS,
  description: "Renames one of the calling user's datasets; refused when the new name is already one of theirs.",
  parameters: z.object({ corpus: CorpusNameSchema, name: CorpusNameSchema }),
  async execute({ corpus, name }, call: ToolCall<ApexServices>) {
    const records = await corporaOf(call.services).rename(call.context.userId, corpus, name);
    return { corpus: name, previous_name: corpus, records };
  },
});

export const deleteCorpusTool = defineTool({
  name: ToolName.DELETE_CORPUS,
  description: "Deletes one of the calling user's datasets with all its usage records. Final: ask the user first.",
  parameters: z.object({ corpus: CorpusNameSchema }),
  async execute({ corpus }, call: ToolCall<ApexServices>) {
    const deleted = await corporaOf(call.services).delete(call.context.userId, corpus);
    return { corpus, deleted_records: deleted };
  },
});
