import { OpportunityKind } from "../../protocol/names.ts";
import type { ArrivalProfile } from "./arrival-clock.ts";
import type { KindNotes } from "./answer-key.ts";
import type { ModelSpec, WasteRates } from "./saas-scenario.ts";

// The `devtools` scenario: a developer-tools company (IDE assistant, code search, CI bots) in Central Europe, on
// Anthropic, OpenAI and Google models, with each kind of waste planted on other features, models and providers than
// in `saas`: Anthropic session bloat, OpenAI automatic prompt caching, Anthropic batch jobs, Gemini retries.

/** The company's developers work in Central European time (standard time, no daylight saving). */
export const DEVTOOLS_UTC_OFFSET_HOURS = 1;

export const DevFeature = {
  IDE_CHAT: "ide_chat",
  CODE_SEARCH: "code_search",
  COMMIT_MESSAGE: "commit_message",
  PR_REVIEW: "pr_review",
  TEST_GENERATION: "test_generation",
  LINT_AUTOFIX: "lint_autofix",
} as const;
export type DevFeatureName = (typeof DevFeature)[keyof typeof DevFeature];

export const DevModels = {
  CHAT: { model: "claude-sonnet-4-20250514", provider: "anthropic", msPerOutputToken: 18 },
  SEARCH: { model: "gpt-4.1-mini", provider: "openai", msPerOutputToken: 8 },
  COMMIT: { model: "claude-haiku-4-5", provider: "anthropic", msPerOutputToken: 6 },
  COMMIT_OVERSIZED: { model: "claude-sonnet-4-20250514", provider: "anthropic", msPerOutputToken: 18 },
  REVIEW: { model: "gemini-2.5-pro", provider: "google", msPerOutputToken: 10 },
  TESTS: { model: "claude-sonnet-4-20250514", provider: "anthropic", msPerOutputToken: 18 },
  LINT: { model: "gpt-4.1", provider: "openai", msPerOutputToken: 14 },
} as const satisfies Record<string, ModelSpec>;

/**
 * Default waste of `devtools`: an IDE session (4+ turns) re-sending its history, a code search whose tool prefix is
 * never cached, a search repeating a recent answer, a commit message on Sonnet, a nightly test job at standard tier,
 * a lint burst at priority, a review cut at its token cap and sent again, a review stream cut after billing.
 */
export const DEVTOOLS_WASTE_RATES: Readonly<WasteRates> = {
  [OpportunityKind.MODEL_RIGHTSIZING]: 0.4,
  [OpportunityKind.PROMPT_CACHING]: 0.35,
  [OpportunityKind.RESPONSE_CACHING]: 0.1,
  [OpportunityKind.BATCH_API]: 0.5,
  [OpportunityKind.PRIORITY_TIER]: 0.5,
  [OpportunityKind.OUTPUT_TRUNCATION]: 0.25,
  [OpportunityKind.RETRY_WASTE]: 0.06,
  [OpportunityKind.CONTEXT_BLOAT]: 0.4,
};

const WORKDAY: ArrivalProfile = {
  hourly: [
    0.03, 0.02, 0.02, 0.02, 0.02, 0.04, 0.1, 0.3, 0.7, 1, 1, 0.95, 0.7, 0.9, 1, 1, 0.95, 0.8, 0.5, 0.3, 0.2, 0.15, 0.1,
    0.05,
  ],
  weekendFactor: 0.15,
};
const CI_HOURS: ArrivalProfile = {
  hourly: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
  weekendFactor: 0,
};
/** The nightly test-generation run starts between 02:00 and 05:00 local time. */
const NIGHTLY: ArrivalProfile = {
  hourly: Array.from({ length: 24 }, (_, hour) => (hour >= 2 && hour <= 4 ? 1 : 0)),
  weekendFactor: 1,
};

export interface DevFeatureTraffic {
  feature: DevFeatureName;
  profile: ArrivalProfile;
  recordShare: number;
  meanEpisodeSize: number;
  singleRecord: boolean;
}

export const DEVTOOLS_TRAFFIC: readonly DevFeatureTraffic[] = [
  { feature: DevFeature.IDE_CHAT, profile: WORKDAY, recordShare: 0.35, meanEpisodeSize: 5.6, singleRecord: false },
  { feature: DevFeature.CODE_SEARCH, profile: WORKDAY, recordShare: 0.25, meanEpisodeSize: 1, singleRecord: true },
  { feature: DevFeature.COMMIT_MESSAGE, profile: WORKDAY, recordShare: 0.12, meanEpisodeSize: 1, singleRecord: true },
  { feature: DevFeature.PR_REVIEW, profile: CI_HOURS, recordShare: 0.13, meanEpisodeSize: 1.1, singleRecord: false },
  { feature: DevFeature.TEST_GENERATION, profile: NIGHTLY, recordShare: 0.08, meanEpisodeSize: 12, singleRecord: false },
  { feature: DevFeature.LINT_AUTOFIX, profile: CI_HOURS, recordShare: 0.07, meanEpisodeSize: 8, singleRecord: false },
];

export const DEVTOOLS_PATTERNS: Readonly<Record<keyof WasteRates, KindNotes>> = {
  [OpportunityKind.MODEL_RIGHTSIZING]: {
    pattern: "commit_message calls (a one-line summary of a diff, no tools) on claude-sonnet-4 while most run on claude-haiku-4-5",
    counterfactual: "the same tokens on claude-haiku-4-5",
  },
  [OpportunityKind.PROMPT_CACHING]: {
    pattern:
      "code_search calls on gpt-4.1-mini whose 1,300-2,300-token tool prefix gets no automatic cache read (per-request " +
      "content placed before it), even when the prefix was sent less than 5 minutes earlier",
    counterfactual: "OpenAI's cache read of the prefix (1,024 + 128-token steps) when any call sent it within 5 minutes",
  },
  [OpportunityKind.RESPONSE_CACHING]: {
    pattern: "code_search requests at temperature 0 repeating a successful answer of less than 10 minutes earlier",
    counterfactual: "the repeat served from a response cache: its whole cost saved",
  },
  [OpportunityKind.BATCH_API]: {
    pattern: "test_generation jobs (02:00-05:00 local time, UTC+1; non-streaming, no user_id) on claude-sonnet-4 at standard tier",
    counterfactual: "the same calls through Message Batches (0.5x)",
  },
  [OpportunityKind.PRIORITY_TIER]: {
    pattern: "lint_autofix bursts from CI (non-streaming, no user_id) on gpt-4.1 at service_tier priority",
    counterfactual: "the same calls at service_tier standard",
  },
  [OpportunityKind.OUTPUT_TRUNCATION]: {
    pattern: "pr_review answers on gemini-2.5-pro cut at max_tokens 800 (finish_reason length), re-sent 2-10 s later with 4096",
    counterfactual: "the truncated call never made: its whole cost saved",
  },
  [OpportunityKind.RETRY_WASTE]: {
    pattern: "pr_review streams on gemini-2.5-pro cut by a network error after billing input and part of the output, re-sent 2-15 s later",
    counterfactual: "the failed attempt never billed: its whole cost saved",
  },
  [OpportunityKind.CONTEXT_BLOAT]: {
    pattern: "ide_chat sessions of 4+ turns on claude-sonnet-4 re-sending the whole conversation (no prompt caching)",
    counterfactual: "each turn trimmed to system prompt (900) + a 250-token summary + the new message",
  },
};
