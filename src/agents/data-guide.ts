import type { CorpusSummary } from "./tool-results.ts";
import { AgentName, ToolName } from "../protocol/names.ts";
import type { Agent } from "../runtime/agent.ts";
import type { ApexServices } from "../tools/services.ts";
import { EXPORT_INSTRUCTIONS, type ExportInstruction } from "./export-instructions.ts";
import type { DataGuide, TriageResult } from "./hand-offs.ts";
import { Intent } from "./intent.ts";
import { MetadataKey } from "./metadata-keys.ts";
import { skipForDatasetRun } from "./skip-rules.ts";

// The Data Guide: when there is no usage data (or the user asks how to load it), what to upload, from which tool and
// how to export it. It runs instead of Data/Optimize/Actions on an empty account.

function section(instruction: ExportInstruction): string {
  const steps = instruction.steps.map((s) => `- ${s}`).join("\n");
  const format = instruction.format.split(" ")[0] ?? instruction.format;
  const choice = instruction.format === format ? "" : ` (format: ${instruction.format})`;
  return `### ${instruction.title}\n${steps}\n- Then load it: \`apex ingest <file> --format ${format}\`${choice}, or analyse it at once with \`apex analyze --input <file>\`.`;
}

export function writeDataGuide(sources: readonly string[], corpora: readonly CorpusSummary[]): DataGuide {
  const named = EXPORT_INSTRUCTIONS.filter((i) => sources.includes(i.source));
  const chosen = named.length > 0 ? named : EXPORT_INSTRUCTIONS;
  const loaded = corpora.filter((c) => c.records > 0);
  const intro =
    loaded.length === 0
      ? "You have no usage data loaded yet, so there is nothing to analyse. Apex needs a log of your LLM calls (model, tokens, time; ideally feature, user and status too) to find where your money goes. Here is how to export your logs and load them:"
      : `You already have ${loaded.map((c) => `${c.corpus} (${c.records.toLocaleString("en-US")} records)`).join(", ")}; to add more:`;
  const more = named.length > 0 ? `\n\nOther sources work too: ${EXPORT_INSTRUCTIONS.filter((i) => !named.includes(i)).map((i) => i.title).join(", ")}.` : "";
  return {
    text: `${intro}\n\n${chosen.map(section).join("\n\n")}${more}\n\nFormats are detected automatically when you leave out --format; a bad line is reported with its number and the rest is kept.`,
    sources: chosen.map((i) => i.source),
  };
}

export const dataGuideAgent: Agent<ApexServices> = {
  name: AgentName.DATA_GUIDE,
  description: "Explaining which usage logs to upload, from which tool, and how to export them.",
  // The report has a short fallback guide of its own.
  required: false,
  skip(view) {
    const triage = view.metadata.get<TriageResult>(MetadataKey.TRIAGE);
    if (triage === undefined) return "the request was not triaged";
    const elsewhere = skipForDatasetRun(view);
    if (elsewhere !== null) return elsewhere;
    return triage.has_data && triage.intent !== Intent.DATA_HELP ? "you already have usage data" : null;
  },
  async run({ tools, metadata, think }) {
    const triage = metadata.get<TriageResult>(MetadataKey.TRIAGE);
    const corpora = await tools.call<CorpusSummary[]>(ToolName.LIST_CORPORA, {});
    const sources = triage?.entities.sources ?? [];
    await think(
      sources.length > 0
        ? `You mentioned ${sources.join(", ")}: explaining how to export usage from ${sources.length === 1 ? "it" : "them"} first.`
        : "You did not name a tool, so listing the export steps of every source Apex reads (OpenAI, Anthropic, LiteLLM, Langfuse, Helicone, OpenTelemetry).",
    );
    const guide = writeDataGuide(sources, corpora);
    metadata.storeResult(MetadataKey.DATA_GUIDE, guide);
    return { summary: `Export steps for ${guide.sources.length} source${guide.sources.length === 1 ? "" : "s"}.` };
  },
};
