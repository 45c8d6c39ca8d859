import { ApexError } from "../../protocol/errors.ts";
import { ErrorCode, OpportunityKind, type OpportunityKindName } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { type AnswerKey, AnswerKeyBuilder } from "./answer-key.ts";
import { ArrivalClock, DAY_MS } from "./arrival-clock.ts";
import { crmEnrichmentBurst } from "./crm-enrichment.ts";
import { EpisodeContext, type PriceFunction } from "./episode-context.ts";
import { kbSearchCall } from "./kb-search.ts";
import { nightlyDigestJob } from "./nightly-digest.ts";
import { PLANTED_PATTERNS } from "./planted-patterns.ts";
import { Prng } from "./prng.ts";
import { RecordHeap } from "./record-heap.ts";
import {
  Feature,
  type FeatureName,
  type FeatureTraffic,
  LOCAL_UTC_OFFSET_HOURS,
  MAX_EPISODE_RECORDS,
  NO_WASTE,
  SAAS_WASTE_RATES,
  SCENARIOS,
  type ScenarioName,
  TRAFFIC,
  type WasteRates,
} from "./saas-scenario.ts";
import { supportAgentTrace } from "./support-agent.ts";
import { supportChatSession } from "./support-chat.ts";
import { ticketClassificationCall } from "./ticket-classification.ts";
import { lintAutofixBurst, testGenerationJob } from "./ci-jobs.ts";
import { codeSearchCall } from "./code-search.ts";
import { commitMessageCall } from "./commit-message.ts";
import {
  DEVTOOLS_PATTERNS,
  DEVTOOLS_TRAFFIC,
  DEVTOOLS_UTC_OFFSET_HOURS,
  DEVTOOLS_WASTE_RATES,
  DevFeature,
  type DevFeatureName,
} from "./devtools-scenario.ts";
import { ideChatSession } from "./ide-chat.ts";
import { prReviewCall } from "./pr-review.ts";
import type { KindNotes } from "./answer-key.ts";

// The synthetic workload generator: canonical usage records in time order, streamed (10M records never sit in
// memory), with an answer key of the waste planted in them. Same options and seed, same bytes.

export interface GenerateOptions {
  scenario: ScenarioName;
  records: number;
  days: number;
  seed: number;
  /** Start of the period (default 2026-01-05T00:00:00Z, a Monday). */
  start?: Date | string;
  /** Per-kind waste rates replacing the scenario's defaults (clean has none). */
  wasteRates?: Partial<Record<OpportunityKindName, number>>;
  /** Prices a record; used for the answer key's savings and totals. */
  price: PriceFunction;
  /** Names the price table behind `price` in the answer key. */
  priceSource?: string;
}

export interface Workload {
  /** The records, in time order; can be iterated once. */
  records(): Generator<UsageRecord, void, undefined>;
  /** The answer key; available once every record has been read. */
  answerKey(): AnswerKey;
}

export const DEFAULT_START = "2026-01-05T00:00:00.000Z";
const MAX_RECORDS = 1_000_000_000;
const MAX_DAYS = 3660;

type EpisodeBuilder = (ctx: EpisodeContext, startMs: number) => UsageRecord[];
const BUILDERS: Readonly<Record<FeatureName, EpisodeBuilder>> = {
  [Feature.SUPPORT_CHAT]: supportChatSession,
  [Feature.KB_SEARCH]: kbSearchCall,
  [Feature.TICKET_CLASSIFICATION]: ticketClassificationCall,
  [Feature.SUPPORT_AGENT]: supportAgentTrace,
  [Feature.NIGHTLY_DIGEST]: nightlyDigestJob,
  [Feature.CRM_ENRICHMENT]: crmEnrichmentBurst,
};

const DEVTOOLS_BUILDERS: Readonly<Record<DevFeatureName, EpisodeBuilder>> = {
  [DevFeature.IDE_CHAT]: ideChatSession,
  [DevFeature.CODE_SEARCH]: codeSearchCall,
  [DevFeature.COMMIT_MESSAGE]: commitMessageCall,
  [DevFeature.PR_REVIEW]: prReviewCall,
  [DevFeature.TEST_GENERATION]: testGenerationJob,
  [DevFeature.LINT_AUTOFIX]: lintAutofixBurst,
};

/** The traffic of a scenario: its streams, how each builds an episode, its time zone and its answer-key notes. */
interface ScenarioTraffic {
  streams: readonly { profile: FeatureTraffic["profile"]; recordShare: number; meanEpisodeSize: number; singleRecord: boolean; build: EpisodeBuilder }[];
  utcOffsetHours: number;
  notes: Readonly<Record<OpportunityKindName, KindNotes>>;
}

function trafficOf(scenario: ScenarioName): ScenarioTraffic {
  if (scenario === "devtools") {
    return {
      streams: DEVTOOLS_TRAFFIC.map((t) => ({ ...t, build: DEVTOOLS_BUILDERS[t.feature] })),
      utcOffsetHours: DEVTOOLS_UTC_OFFSET_HOURS,
      notes: DEVTOOLS_PATTERNS,
    };
  }
  return {
    streams: TRAFFIC.map((t) => ({ ...t, build: BUILDERS[t.feature] })),
    utcOffsetHours: LOCAL_UTC_OFFSET_HOURS,
    notes: PLANTED_PATTERNS,
  };
}

function invalid(message: string): ApexError {
  return new ApexError(ErrorCode.INVALID_PARAMETERS, message);
}

function checkedRates(options: GenerateOptions): WasteRates {
  const given = options.wasteRates ?? {};
  const kinds = Object.values(OpportunityKind) as string[];
  for (const [kind, rate] of Object.entries(given)) {
    if (!kinds.includes(kind)) throw invalid(`Unknown waste kind "${kind}"; use one of ${kinds.join(", ")}.`);
    if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) {
      throw invalid(`Waste rate of ${kind} must be a number from 0 to 1, got ${String(rate)}.`);
    }
  }
  if (options.scenario === "clean") {
    if (Object.values(given).some((rate) => rate !== 0)) {
      throw invalid("The clean scenario has no waste; drop the waste rates or use --scenario saas.");
    }
    return { ...NO_WASTE };
  }
  return { ...(options.scenario === "devtools" ? DEVTOOLS_WASTE_RATES : SAAS_WASTE_RATES), ...given };
}

function checkedStart(start: Date | string | undefined): number {
  const ms = start === undefined ? Date.parse(DEFAULT_START) : new Date(start).getTime();
  if (Number.isNaN(ms)) throw invalid(`Start ${String(start)} is not a date; give an ISO 8601 time such as ${DEFAULT_START}.`);
  return ms;
}

function validate(options: GenerateOptions): { rates: WasteRates; startMs: number } {
  if (!(SCENARIOS as readonly string[]).includes(options.scenario)) {
    throw invalid(`Unknown scenario "${options.scenario}"; use one of ${SCENARIOS.join(", ")}.`);
  }
  if (!Number.isInteger(options.records) || options.records < 1 || options.records > MAX_RECORDS) {
    throw invalid(`Records must be a whole number from 1 to ${MAX_RECORDS}, got ${options.records}.`);
  }
  if (!Number.isFinite(options.days) || options.days <= 0 || options.days > MAX_DAYS) {
    throw invalid(`Days must be a number above 0 and at most ${MAX_DAYS}, got ${options.days}.`);
  }
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
    throw invalid(`Seed must be a non-negative whole number, got ${options.seed}.`);
  }
  return { rates: checkedRates(options), startMs: checkedStart(options.start) };
}

export function generateWorkload(options: GenerateOptions): Workload {
  const { rates, startMs } = validate(options);
  const traffic = trafficOf(options.scenario);
  const key = new AnswerKeyBuilder();
  let state: "ready" | "running" | "done" = "ready";

  function* records(): Generator<UsageRecord, void, undefined> {
    if (state !== "ready") throw invalid("A workload's records can be read once; generate it again to re-read them.");
    state = "running";
    const prng = new Prng(options.seed, 0);
    const clock = new ArrivalClock(startMs, options.days, traffic.streams, new Prng(options.seed, 1), traffic.utcOffsetHours);
    const ctx = new EpisodeContext({ prng, rates, seed: options.seed, price: options.price, key });
    const heap = new RecordHeap();
    const total = options.records;
    const emit = (record: UsageRecord): UsageRecord => {
      key.count(options.price(record));
      return record;
    };
    let planned = 0;
    while (planned < total) {
      // Episodes are laid out by the share of records made so far, so the period is filled exactly.
      const { ms, bin } = clock.timeAt((planned + prng.next()) / total);
      const tail = total - planned < MAX_EPISODE_RECORDS;
      const stream = clock.pickStream(bin, prng, (s) => !tail || traffic.streams[s]?.singleRecord === true);
      while (heap.size > 0 && heap.peekMs() <= ms) {
        const record = heap.pop();
        if (record !== undefined) yield emit(record);
      }
      const build = traffic.streams[stream]?.build ?? kbSearchCall;
      const made = build(ctx, ms);
      planned += made.length;
      for (const record of made) heap.push(record);
    }
    while (heap.size > 0) {
      const record = heap.pop();
      if (record !== undefined) yield emit(record);
    }
    state = "done";
  }

  return {
    records,
    answerKey(): AnswerKey {
      if (state !== "done") throw invalid("Read every record of the workload before asking for its answer key.");
      return key.build(
        {
          version: 1,
          scenario: options.scenario,
          seed: options.seed,
          records: options.records,
          period: {
            from: new Date(startMs).toISOString(),
            to: new Date(startMs + options.days * DAY_MS).toISOString(),
            days: options.days,
          },
          waste_rates: rates,
          price_source: options.priceSource ?? "caller-supplied price function",
        },
        traffic.notes,
      );
    },
  };
}
