import { AgentName, Decision, InterruptKind, ToolName } from "../protocol/names.ts";
import type { Agent, AgentInput, AgentResult } from "../runtime/agent.ts";
import type { ApexServices } from "../tools/services.ts";
import { readAdminRequest, runAdminCommand } from "./admin-commands.ts";
import { readAdminCommand } from "./admin-request.ts";
import { readCorpusCommand } from "./corpus-request.ts";
import { plural, usd } from "./money.ts";
import { approvalTtl, finish } from "./plain-report.ts";
import { skipUnlessAdministering } from "./skip-rules.ts";
import type { CorpusDescription, CorpusSummary } from "./tool-results.ts";

// Corpus Admin: the user's own datasets from chat. Describes, renames or deletes the one the request names, through
// the corpus tools (the caller's rows only). Deleting is final, so it asks first (approve / decline). For an
// administrator it also looks up and edits the supply catalog and manages accounts (admin-commands.ts).

function describe(c: CorpusDescription): string {
  const top = (parts: CorpusDescription["models"]) => parts.slice(0, 5).map((p) => `${p.name ?? "(none)"} ${usd(p.cost_usd)}`).join(", ");
  const partial = c.partial == null ? "" : ` It is partial: its last upload stopped early (${c.partial.reason}) and kept ${plural(c.partial.records_kept, "record")}; upload the same file again to complete it.`;
  return `The dataset "${c.corpus}" holds ${plural(c.records, "record")} (${plural(c.calls, "call")}, ${usd(c.cost_usd)}) from ` +
    `${c.period.from?.slice(0, 10)} to ${c.period.to?.slice(0, 10)}. Models: ${top(c.models)}. Features: ${top(c.features)}.${partial}`;
}

async function deleteAsked(input: AgentInput<ApexServices>, corpus: CorpusSummary): Promise<AgentResult> {
  await input.think(`Deleting is final, so asking you first.`);
  const answer = await input.ask({
    kind: InterruptKind.APPROVAL,
    prompt: `Delete the dataset "${corpus.corpus}" with its ${plural(corpus.records, "record")}? This cannot be undone.`,
    options: [Decision.APPROVE, Decision.DECLINE],
    expiresInMs: approvalTtl(input.services),
  });
  if (answer === null) return finish(input, `The question expired before you answered; "${corpus.corpus}" was kept.`);
  if (answer.decision !== Decision.APPROVE) return finish(input, `You declined; "${corpus.corpus}" was kept.`);
  const deleted = await input.tools.call<{ deleted_records: number }>(ToolName.DELETE_CORPUS, { corpus: corpus.corpus });
  return finish(input, `Deleted the dataset "${corpus.corpus}" and its ${plural(deleted.deleted_records, "record")}.`);
}

export const corpusAdminAgent: Agent<ApexServices> = {
  name: AgentName.CORPUS_ADMIN,
  description: "Managing your datasets (describing, renaming or deleting the one you name) and administration: the supply catalog and user accounts.",
  skip: skipUnlessAdministering,
  async run(input) {
    const admin = readAdminCommand(input.request);
    if (admin !== null) return runAdminCommand(input, await readAdminRequest(input, admin));
    const command = readCorpusCommand(input.request);
    const corpora = await input.tools.call<CorpusSummary[]>(ToolName.LIST_CORPORA, {});
    const target = corpora.find((c) => c.corpus === command?.corpus);
    if (command === null || target === undefined) {
      const names = corpora.map((c) => `"${c.corpus}"`).join(", ");
      return finish(input, `You have no dataset named "${command?.corpus ?? ""}"; your datasets are ${names === "" ? "none yet" : names}.`);
    }
    if (command.op === "describe") {
      return finish(input, describe(await input.tools.call<CorpusDescription>(ToolName.DESCRIBE_CORPUS, { corpus: target.corpus })));
    }
    if (command.op === "rename") {
      const renamed = await input.tools.call<{ records: number }>(ToolName.RENAME_CORPUS, { corpus: target.corpus, name: command.name });
      return finish(input, `Renamed the dataset "${target.corpus}" to "${command.name}" (${plural(renamed.records, "record")}).`);
    }
    return deleteAsked(input, target);
  },
};
