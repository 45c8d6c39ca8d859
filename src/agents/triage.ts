import { z } from "zod";
import type { CorpusSummary, UsageBreakdownRow, UsageTotals } from "./tool-results.ts";
import { MAX_MESSAGE_CHARS } from "../protocol/commands.ts";
import { ApexError } from "../protocol/errors.ts";
import { AgentName, ErrorCode, ToolName } from "../protocol/names.ts";
import type { Agent, AgentInput } from "../runtime/agent.ts";
import type { ApexServices } from "../tools/services.ts";
import type { ScopeParams } from "../tools/scope.ts";
import { matchVocabulary } from "./fuzzy-match.ts";
import type { Entities, TriageResult } from "./hand-offs.ts";
import { Intent, INTENTS, type IntentName } from "./intent.ts";
import { readAdminCommand } from "./admin-request.ts";
import { readStructured } from "./llm-fallback.ts";
import { MetadataKey } from "./metadata-keys.ts";
import { plural } from "./money.ts";
import { EMPTY_VOCABULARY, readRequest, type RequestReading, type Vocabulary } from "./request-reading.ts";
import { resolveTimeRange } from "./time-range.ts";

// Triage: what the user wants (intent), about what (time range, models, features, users, budget), and whether there
// is any usage data to answer from. By rules offline; by the LLM's structured output when one is configured, checked
// against the user's own vocabulary, with the rules as the fallback.

const INTENT_WORDS: Readonly<Record<IntentName, string>> = {
  [Intent.COST_OVERVIEW]: "an overview of where your spend goes",
  [Intent.FIND_SAVINGS]: "finding where you can save",
  [Intent.SPEND_QUESTION]: "a specific question about your spend or usage",
  [Intent.LATENCY]: "a question about latency",
  [Intent.COMPARE_MODELS]: "a comparison of models",
  [Intent.DATA_HELP]: "help with getting your data in",
  [Intent.ADMIN]: "managing your datasets, the catalog or accounts",
  [Intent.GENERATE_DATA]: "generating a synthetic dataset",
};

const LlmReadingSchema = z.object({
  intent: z.enum(INTENTS),
  time_phrase: z.string().nullable(),
  models: z.array(z.string()),
  features: z.array(z.string()),
  users: z.array(z.string()),
  budget_cut_pct: z.number().min(0).max(100).nullable(),
});

function checkRequest(request: string): string {
  const text = request.trim();
  if (text === "") throw new ApexError(ErrorCode.INVALID_REQUEST, "The message is empty: ask a question about your LLM usage or costs.");
  if (text.length > MAX_MESSAGE_CHARS) {
    throw new ApexError(ErrorCode.INVALID_REQUEST, `The message has ${text.length} characters; keep it under ${MAX_MESSAGE_CHARS}.`);
  }
  return text;
}

const keys = (rows: readonly UsageBreakdownRow[]): string[] => rows.flatMap((r) => (r.key === null ? [] : [r.key]));

async function loadVocabulary(input: AgentInput<ApexServices>, text: string): Promise<{ vocabulary: Vocabulary; totals: UsageTotals }> {
  const { tools, think } = input;
  const totals = await tools.call<UsageTotals>(ToolName.USAGE_TOTALS, { scope: {} });
  const models = await tools.call<UsageBreakdownRow[]>(ToolName.USAGE_BREAKDOWN, { scope: {}, dimension: "model" });
  const features = await tools.call<UsageBreakdownRow[]>(ToolName.USAGE_BREAKDOWN, { scope: {}, dimension: "feature" });
  // The user list can be long: fetched only when the request talks about users.
  const users = /\buser|\bcustomer|\baccount/i.test(text)
    ? await tools.call<UsageBreakdownRow[]>(ToolName.USAGE_BREAKDOWN, { scope: {}, dimension: "user_id" })
    : [];
  await think(
    `Your data holds ${totals.calls.toLocaleString("en-US")} calls from ${totals.period.from?.slice(0, 10)} to ${totals.period.to?.slice(0, 10)}, ` +
      `over ${models.length} model${models.length === 1 ? "" : "s"} and ${keys(features).length} feature${keys(features).length === 1 ? "" : "s"}.`,
  );
  return { vocabulary: { models: keys(models), features: keys(features), users: keys(users), corpora: [] }, totals };
}

/** The LLM's reading, each name checked against the data's vocabulary; null when the LLM is unavailable or wrong. */
async function readWithLlm(input: AgentInput<ApexServices>, text: string, vocabulary: Vocabulary, latest: Date | null, rules: RequestReading): Promise<RequestReading | null> {
  const reading = await readStructured(
    { llm: input.services.llm, think: input.think, signal: input.signal },
    {
      task: "classify the request",
      system:
        "Classify a request about LLM API spend. intent: one of " +
        INTENTS.join(", ") +
        ". time_phrase: the user's words for a time range, or null. models, features, users: names as the user wrote them, chosen from the vocabulary when possible. " +
        "budget_cut_pct: the percent cut the user targets, or null.\nVocabulary: " +
        JSON.stringify({ models: vocabulary.models.slice(0, 100), features: vocabulary.features.slice(0, 100) }),
      text,
      output: { name: "request_reading", schema: LlmReadingSchema },
    },
  );
  if (reading === undefined) return null;
  const pick = (names: readonly string[], vocab: readonly string[], versionSuffix: boolean) =>
    [...new Set(names.flatMap((n) => matchVocabulary(n, vocab, { versionSuffix, typos: versionSuffix || vocab !== vocabulary.users })))];
  const phraseRange = reading.time_phrase !== null && latest !== null ? resolveTimeRange(reading.time_phrase, latest) : null;
  const entities: Entities = {
    time_range: phraseRange ?? rules.entities.time_range,
    models: pick(reading.models, vocabulary.models, true),
    features: pick(reading.features, vocabulary.features, false),
    users: pick(reading.users, vocabulary.users, false),
    budget: reading.budget_cut_pct === null ? rules.entities.budget : { ...rules.entities.budget, cut_pct: reading.budget_cut_pct },
    sources: rules.entities.sources,
  };
  const dropped = reading.models.length + reading.features.length - entities.models.length - entities.features.length;
  if (dropped > 0) await input.think(`${dropped} name${dropped === 1 ? "" : "s"} the model gave are not in your data; I left them out.`);
  return { intent: reading.intent, cues: [], entities, corpus: rules.corpus };
}

function scopeOf(reading: RequestReading): ScopeParams {
  const { entities } = reading;
  return {
    ...(reading.corpus === null ? {} : { corpus: reading.corpus }),
    ...(entities.time_range === null ? {} : { from: entities.time_range.from, to: entities.time_range.to }),
    ...(entities.models.length === 0 ? {} : { models: entities.models }),
    ...(entities.features.length === 0 ? {} : { features: entities.features }),
  };
}

async function describeReading(input: AgentInput<ApexServices>, reading: RequestReading): Promise<void> {
  const { entities } = reading;
  const cues = reading.cues.length > 0 ? ` (from "${reading.cues.slice(0, 3).join('", "')}")` : "";
  await input.think(`You are asking for ${INTENT_WORDS[reading.intent]}${cues}.`);
  if (entities.time_range !== null) await input.think(entities.time_range.explanation);
  const named = [
    entities.features.length > 0 ? `feature ${entities.features.join(", ")}` : "",
    entities.models.length > 0 ? `model ${entities.models.join(", ")}` : "",
    entities.users.length > 0 ? `user ${entities.users.join(", ")}` : "",
    reading.corpus === null ? "" : `dataset ${reading.corpus}`,
  ].filter((s) => s !== "");
  if (named.length > 0) await input.think(`Matched your words to ${named.join("; ")} in your data.`);
  if (entities.budget.cut_pct !== undefined) await input.think(`Your target: cut spend by ${entities.budget.cut_pct}%.`);
  if (entities.budget.target_monthly_usd !== undefined) await input.think(`Your target: spend at most $${entities.budget.target_monthly_usd} a month.`);
}

/** The report's data-quality warning for each dataset in scope whose last upload stopped early. */
function partialWarnings(corpora: readonly CorpusSummary[], scoped: string | undefined): string[] {
  return corpora.flatMap((c) =>
    c.partial == null || (scoped !== undefined && c.corpus !== scoped)
      ? []
      : [`The dataset "${c.corpus}" is partial: its last upload stopped early (${c.partial.reason}) and kept ${plural(c.partial.records_kept, "record")}, so these figures may miss the rest of that file; upload it again to complete the dataset.`],
  );
}

export const triageAgent: Agent<ApexServices> = {
  name: AgentName.TRIAGE,
  description: "Reading your request: what you want to know, about which period, models and features, and whether there is data to answer from.",
  async run(input) {
    const text = checkRequest(input.request);
    const corpora = await input.tools.call<CorpusSummary[]>(ToolName.LIST_CORPORA, {});
    const records = corpora.reduce((sum, c) => sum + c.records, 0);
    if (records === 0) {
      const reading = readRequest(text, EMPTY_VOCABULARY, null);
      await input.think("No usage data is loaded for your account yet, so there is nothing to analyse: the Data Guide will say what to upload and how to export it.");
      const result: TriageResult = { intent: reading.intent, entities: reading.entities, scope: {}, has_data: false, corpora, latest: null, classified_by: "rules" };
      input.metadata.storeResult(MetadataKey.TRIAGE, result);
      return { summary: `No usage data yet; request read as ${reading.intent}.` };
    }
    const { vocabulary, totals } = await loadVocabulary(input, text);
    const full: Vocabulary = { ...vocabulary, corpora: corpora.map((c) => c.corpus) };
    const latest = totals.period.to === null ? null : new Date(totals.period.to);
    const rules = readRequest(text, full, latest);
    // An administration command the rules read is not the model's to reclassify: it goes to the Corpus Admin.
    const llmReading = readAdminCommand(text) === null ? await readWithLlm(input, text, full, latest, rules) : null;
    const reading = llmReading ?? rules;
    await describeReading(input, reading);
    const result: TriageResult = {
      intent: reading.intent,
      entities: reading.entities,
      scope: scopeOf(reading),
      has_data: true,
      corpora,
      latest: totals.period.to,
      classified_by: llmReading === null ? "rules" : input.services.llm.name,
    };
    input.metadata.storeResult(MetadataKey.TRIAGE, result);
    for (const warning of partialWarnings(corpora, result.scope.corpus)) input.metadata.appendToList(MetadataKey.WARNINGS, warning);
    return { summary: `Read as ${reading.intent} over ${Object.keys(result.scope).length === 0 ? "all your data" : "the scope you named"}.` };
  },
};
