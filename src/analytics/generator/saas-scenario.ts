import { OpportunityKind, type OpportunityKindName } from "../../protocol/names.ts";
import type { ArrivalProfile } from "./arrival-clock.ts";

// The `saas` scenario: a customer-support SaaS with five LLM features, and the waste planted in it.
// `clean` is the same traffic with every waste rate at zero. (`devtools`, other traffic: devtools-scenario.ts.)

export const SCENARIOS = ["saas", "clean", "devtools"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** The SaaS's users are in US Eastern time (standard time, no daylight saving). */
export const LOCAL_UTC_OFFSET_HOURS = -5;

export const Feature = {
  SUPPORT_CHAT: "support_chat",
  KB_SEARCH: "kb_search",
  TICKET_CLASSIFICATION: "ticket_classification",
  SUPPORT_AGENT: "support_agent",
  NIGHTLY_DIGEST: "nightly_digest",
  CRM_ENRICHMENT: "crm_enrichment",
} as const;
export type FeatureName = (typeof Feature)[keyof typeof Feature];

/** A model as the records name it, with its provider and its decoding speed (for latencies). */
export interface ModelSpec {
  model: string;
  provider: string;
  msPerOutputToken: number;
}

export const Models = {
  CHAT: { model: "gpt-4o-2024-08-06", provider: "openai", msPerOutputToken: 12 },
  SEARCH: { model: "claude-sonnet-4-20250514", provider: "anthropic", msPerOutputToken: 18 },
  CLASSIFIER: { model: "gpt-4.1-nano", provider: "openai", msPerOutputToken: 5 },
  CLASSIFIER_OVERSIZED: { model: "gpt-4o", provider: "openai", msPerOutputToken: 12 },
  AGENT: { model: "gpt-4.1", provider: "openai", msPerOutputToken: 14 },
  DIGEST: { model: "gemini-2.5-flash", provider: "google", msPerOutputToken: 6 },
  ENRICHMENT: { model: "gpt-5-mini", provider: "openai", msPerOutputToken: 8 },
} as const satisfies Record<string, ModelSpec>;

export type WasteRates = Record<OpportunityKindName, number>;

/**
 * Default waste of `saas`, each the probability that an eligible unit is wasteful: a classification call on the
 * oversized model, a search call without cache_control, a search call repeating a recent answer, a digest job at
 * standard tier, an enrichment burst at priority, a long chat answer under a 256-token cap, an agent step that
 * times out after billing, a chat session (4+ turns) re-sending its full history.
 */
export const SAAS_WASTE_RATES: Readonly<WasteRates> = {
  [OpportunityKind.MODEL_RIGHTSIZING]: 0.35,
  [OpportunityKind.PROMPT_CACHING]: 0.3,
  [OpportunityKind.RESPONSE_CACHING]: 0.08,
  [OpportunityKind.BATCH_API]: 0.5,
  [OpportunityKind.PRIORITY_TIER]: 0.4,
  [OpportunityKind.OUTPUT_TRUNCATION]: 0.3,
  [OpportunityKind.RETRY_WASTE]: 0.05,
  [OpportunityKind.CONTEXT_BLOAT]: 0.35,
};

export const NO_WASTE: Readonly<WasteRates> = {
  [OpportunityKind.MODEL_RIGHTSIZING]: 0,
  [OpportunityKind.PROMPT_CACHING]: 0,
  [OpportunityKind.RESPONSE_CACHING]: 0,
  [OpportunityKind.BATCH_API]: 0,
  [OpportunityKind.PRIORITY_TIER]: 0,
  [OpportunityKind.OUTPUT_TRUNCATION]: 0,
  [OpportunityKind.RETRY_WASTE]: 0,
  [OpportunityKind.CONTEXT_BLOAT]: 0,
};

// Daily shapes in local time (assumed; the real traces span one hour each, see calibration.ts).
const BUSINESS_DAY: ArrivalProfile = {
  hourly: [
    0.12, 0.08, 0.06, 0.05, 0.05, 0.08, 0.18, 0.35, 0.65, 0.9, 1, 1, 0.95, 1, 1, 0.95, 0.85, 0.7, 0.55, 0.45, 0.38, 0.3,
    0.22, 0.16,
  ],
  weekendFactor: 0.35,
};
const OFFICE_HOURS: ArrivalProfile = {
  hourly: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
  weekendFactor: 0,
};
/** Night jobs start at 01:00 and finish by 04:00 local time. */
export const NIGHT_HOURS: readonly number[] = [1, 2, 3];
const NIGHTLY: ArrivalProfile = {
  hourly: Array.from({ length: 24 }, (_, hour) => (NIGHT_HOURS.includes(hour) ? 1 : 0)),
  weekendFactor: 1,
};

export interface FeatureTraffic {
  feature: FeatureName;
  profile: ArrivalProfile;
  recordShare: number;
  meanEpisodeSize: number;
  /** Episodes of exactly one record: the only ones used to fill the last slots up to the requested count. */
  singleRecord: boolean;
}

/** Traffic mix of the scenario, by share of records. */
export const TRAFFIC: readonly FeatureTraffic[] = [
  { feature: Feature.SUPPORT_CHAT, profile: BUSINESS_DAY, recordShare: 0.34, meanEpisodeSize: 5, singleRecord: false },
  { feature: Feature.KB_SEARCH, profile: BUSINESS_DAY, recordShare: 0.26, meanEpisodeSize: 1, singleRecord: true },
  {
    feature: Feature.TICKET_CLASSIFICATION,
    profile: BUSINESS_DAY,
    recordShare: 0.14,
    meanEpisodeSize: 1,
    singleRecord: true,
  },
  { feature: Feature.SUPPORT_AGENT, profile: BUSINESS_DAY, recordShare: 0.14, meanEpisodeSize: 3.6, singleRecord: false },
  { feature: Feature.NIGHTLY_DIGEST, profile: NIGHTLY, recordShare: 0.07, meanEpisodeSize: 15, singleRecord: false },
  { feature: Feature.CRM_ENRICHMENT, profile: OFFICE_HOURS, recordShare: 0.05, meanEpisodeSize: 9, singleRecord: false },
];

/** The most records one episode can produce (a 12-turn chat whose every turn is truncated and re-sent). */
export const MAX_EPISODE_RECORDS = 25;
