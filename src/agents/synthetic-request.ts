import { createHash } from "node:crypto";
import { OpportunityKind, type OpportunityKindName } from "../protocol/names.ts";
import { MAX_SYNTHETIC_DAYS, MAX_SYNTHETIC_RECORDS, SCENARIOS, type WorkloadProfile } from "../tools/synthetic-jobs.ts";

// Reading "generate 200k records of a support-chat workload with caching waste" into a workload profile, by rules; and
// writing a profile back as such a sentence (REST sends a profile through the same run as a typed request). The two
// agree: readProfile(describeProfile(p)) is p.

type Scenario = (typeof SCENARIOS)[number];

const DEFAULT_RECORDS = 10_000;
const DEFAULT_DAYS = 30;
const UNITS: Readonly<Record<string, number>> = { k: 1_000, thousand: 1_000, m: 1_000_000, million: 1_000_000 };
const PERIOD_DAYS: Readonly<Record<string, number>> = { day: 1, week: 7, month: 30 };

/** Words that name a waste kind; kind names themselves (with _ or a space) match too. */
const WASTE_WORDS: readonly [RegExp, readonly OpportunityKindName[]][] = [
  [/\b(?:caching|cache) waste\b|\bcach(?:e|ing)\b(?! (?:prompt|response))/, [OpportunityKind.PROMPT_CACHING, OpportunityKind.RESPONSE_CACHING]],
  [/\bprompt[ _]caching\b|\buncached prefix/, [OpportunityKind.PROMPT_CACHING]],
  [/\bresponse[ _]caching\b|\bduplicate (?:requests|calls)/, [OpportunityKind.RESPONSE_CACHING]],
  [/\bmodel[ _]rightsizing\b|\boversized models?\b|\brightsiz/, [OpportunityKind.MODEL_RIGHTSIZING]],
  [/\bbatch(?:[ _]api)?\b/, [OpportunityKind.BATCH_API]],
  [/\bpriority(?:[ _]tier)?\b/, [OpportunityKind.PRIORITY_TIER]],
  [/\b(?:output[ _])?truncat\w*/, [OpportunityKind.OUTPUT_TRUNCATION]],
  [/\bretr(?:y|ies)(?:[ _]waste)?\b/, [OpportunityKind.RETRY_WASTE]],
  [/\bcontext[ _]bloat\b|\bbloat\w*|\bgrowing (?:context|history)/, [OpportunityKind.CONTEXT_BLOAT]],
];
const KIND_ORDER = Object.values(OpportunityKind) as OpportunityKindName[];

const CORPUS_PHRASE = /\b(?:into|in|as|to|named|called)\s+(?:(?:a|the|my)\s+)?(?:(?:new\s+)?(?:corpus|dataset|data set))\s+(?:named\s+|called\s+)?["'`]?([A-Za-z0-9][A-Za-z0-9._-]{0,99})["'`]?/i;
const SEED_PHRASE = /\bseed\s+(\d{1,10})\b/i;

// A number starts where no digit precedes it and is at most 16 digits long: an unbounded number tried from every digit
// of a long run is quadratic ("generate synthetic data " + 19,900 digits took 2 s), and so are two adjacent \s*.
const NUMBER = String.raw`(?<![\d,.])(\d[\d,]{0,15}(?:\.\d{1,6})?)`;
const RECORDS_PHRASE = new RegExp(NUMBER + String.raw`(?:\s*(k|m|thousand|million))?\s+(?:synthetic\s+|fake\s+|sample\s+|test\s+)?(?:records|rows|calls|requests|entries)\b`);
const RECORDS_SHORT = new RegExp(NUMBER + String.raw`(k|m)\b`);

function recordsOf(t: string): number | null {
  const found = RECORDS_PHRASE.exec(t) ?? RECORDS_SHORT.exec(t);
  if (found === null) return null;
  const value = Number(found[1]?.replace(/,/g, "")) * (UNITS[found[2] ?? ""] ?? 1);
  return Number.isFinite(value) ? Math.round(value) : null;
}

function daysOf(t: string): number | null {
  const found = /\b(\d{1,3}|a|one)\s+(day|week|month)s?\b/.exec(t);
  if (found === null) return null;
  const count = /^\d/.test(found[1] ?? "") ? Number(found[1]) : 1;
  return count * (PERIOD_DAYS[found[2] ?? "day"] ?? 1);
}

function scenarioOf(t: string): Scenario {
  if (/\b(?:devtools|dev tools|developer|ide|coding|code review|code assistant)\b/.test(t)) return "devtools";
  if (/\bclean\b/.test(t)) return "clean";
  return "saas";
}

function wasteOf(t: string, scenario: Scenario): OpportunityKindName[] | null {
  if (scenario === "clean" || /\bno waste\b|\bwithout (?:any )?waste\b/.test(t)) return [];
  const named = new Set<OpportunityKindName>();
  for (const [pattern, kinds] of WASTE_WORDS) if (pattern.test(t)) kinds.forEach((k) => named.add(k));
  return named.size === 0 ? null : KIND_ORDER.filter((k) => named.has(k));
}

/**
 * The profile of a request, by rules. `fallbackSeed` and `fallbackCorpus` are used when the request names none (the
 * agent derives them from the run, so the same run always makes the same records).
 */
export function readProfile(text: string, fallbackSeed: number, fallbackCorpus: string): WorkloadProfile {
  const corpus = CORPUS_PHRASE.exec(text)?.[1] ?? fallbackCorpus;
  const seed = SEED_PHRASE.exec(text)?.[1];
  // Names and seeds can hold any word: they are taken out before the words of the workload are read.
  const t = text.replace(CORPUS_PHRASE, " ").replace(SEED_PHRASE, " ").toLowerCase();
  const scenario = scenarioOf(t);
  const records = recordsOf(t) ?? DEFAULT_RECORDS;
  const days = daysOf(t) ?? DEFAULT_DAYS;
  return {
    records: Math.min(Math.max(records, 1), MAX_SYNTHETIC_RECORDS),
    scenario,
    waste: wasteOf(t, scenario),
    days: Math.min(Math.max(days, 1), MAX_SYNTHETIC_DAYS),
    corpus,
    seed: seed === undefined ? fallbackSeed : Math.min(Number(seed), 2 ** 31),
    confirm: /\b(?:confirm|ask me|check with me|before (?:you )?(?:run|start|generat)\w*)\b/.test(t),
  };
}

/** The profile of a run's request: a seed and dataset name of the run's own when the request names none, so the same
 * run always makes the same records. */
export function profileForRun(text: string, runId: string): WorkloadProfile {
  const digest = createHash("sha256").update(runId).digest();
  return readProfile(text, digest.readUInt32BE(0) % 2 ** 31, `synthetic-${digest.toString("hex").slice(0, 8)}`);
}

function wasteWords(waste: WorkloadProfile["waste"]): string {
  if (waste === null) return "the scenario's usual waste";
  if (waste.length === 0) return "no waste";
  return `${waste.join(", ")} waste`;
}

/** The profile as a request that reads back to it. */
export function describeProfile(profile: WorkloadProfile): string {
  const confirm = profile.confirm ? "; ask me to confirm first" : "";
  return `Generate ${profile.records} records of a ${profile.scenario} workload over ${profile.days} days with ` +
    `${wasteWords(profile.waste)} into dataset ${profile.corpus}, seed ${profile.seed}${confirm}.`;
}

/** The profile in words for the user: what will be made, and where it lands. */
export function profileSummary(profile: WorkloadProfile): string {
  return `${profile.records.toLocaleString("en-US")} records of the ${profile.scenario} workload over ${profile.days} days with ` +
    `${wasteWords(profile.waste)}, into the dataset "${profile.corpus}"`;
}
