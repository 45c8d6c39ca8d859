import { z } from "zod";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, ToolName } from "../protocol/names.ts";
import { defineTool, type ToolCall } from "../runtime/tool.ts";
import { CorpusNameSchema } from "./scope.ts";
import type { ApexServices } from "./services.ts";

// A user's own datasets from chat: describe, rename, delete. The owner is always the caller, so these need no admin
// role; another user's corpus is simply not found. Deleting is final: the agent asks the user before calling it.


export function corpusNotFound(corpus: string): ApexError {
  return new ApexError(ErrorCode.NOT_FOUND, `You have no dataset named "${corpus}"; list your datasets to see their names.`);
}

function corpusExists(corpus: string): ApexError {
  return new ApexError(ErrorCode.CORPUS_EXISTS, `You already have a dataset named "${corpus}"; pick another name or delete that one first.`);
}

/** The rule of a rename among the owner's `corpora` (chat and REST alike): the corpus exists, the new name is free. */
export function checkRename(corpora: readonly string[], corpus: string, name: string): void {
  if (!corpora.includes(corpus)) throw corpusNotFound(corpus);
  if (corpus !== name && corpora.includes(name)) throw corpusExists(name);
}

export const describeCorpusTool = defineTool({
  name: ToolName.DESCRIBE_CORPUS,
  description: "One of the calling user's datasets in full: records, calls, cost, period, and its models and features.",
  parameters: z.object({ corpus: CorpusNameSchema }),
  async execute({ corpus }, call: ToolCall<ApexServices>) {
    const description = await call.services.usage.describeCorpus(call.context.userId, corpus);
    if (description === null) throw corpusNotFound(corpus);
    return description;
  },
});

export const renameCorpusTool = defineTool({
  name: ToolName.RENAME_CORPUS,
  description: "Renames one of the calling user's datasets; refused when the new name is already one of theirs.",
  parameters: z.object({ corpus: CorpusNameSchema, name: CorpusNameSchema }),
  async execute({ corpus, name }, call: ToolCall<ApexServices>) {
    const owner = call.context.userId;
    checkRename((await call.services.usage.listCorpora(owner)).map((c) => c.corpus), corpus, name);
    const records = await call.services.usage.renameCorpus(owner, corpus, name);
    return { corpus: name, previous_name: corpus, records };
  },
});

export const deleteCorpusTool = defineTool({
  name: ToolName.DELETE_CORPUS,
  description: "Deletes one of the calling user's datasets with all its usage records. Final: ask the user first.",
  parameters: z.object({ corpus: CorpusNameSchema }),
  async execute({ corpus }, call: ToolCall<ApexServices>) {
    const deleted = await call.services.usage.deleteCorpus(call.context.userId, corpus);
    if (deleted === 0) throw corpusNotFound(corpus);
    return { corpus, deleted_records: deleted };
  },
});
