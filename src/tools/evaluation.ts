import type { AnswerKey } from "../analytics/generator/answer-key.ts";
import { OpportunityKind, type OpportunityKindName } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";

// Scoring of found opportunities against a generated workload's answer key, whatever produced them (the analysis tools
// directly or the agent pipeline). A finding matches a planted opportunity of its kind when every scope attribute
// the key names (feature, model) is in the finding's scope with the same value. A planted opportunity whose true
// savings are not positive (e.g. prompt caching on traffic too sparse for cache hits to pay for the writes) is no
// opportunity: it is not expected, and reporting it counts as a false positive.

/** Allowed relative savings error per kind (analytics acceptance: ±10%, model_rightsizing ±25%). */
export const SAVINGS_TOLERANCE: Readonly<Record<OpportunityKindName, number>> = {
  [OpportunityKind.MODEL_RIGHTSIZING]: 0.25,
  [OpportunityKind.PROMPT_CACHING]: 0.1,
  [OpportunityKind.RESPONSE_CACHING]: 0.1,
  [OpportunityKind.BATCH_API]: 0.1,
  [OpportunityKind.PRIORITY_TIER]: 0.1,
  [OpportunityKind.OUTPUT_TRUNCATION]: 0.1,
  [OpportunityKind.RETRY_WASTE]: 0.1,
  [OpportunityKind.CONTEXT_BLOAT]: 0.1,
};

export const MIN_RECALL = 0.95;
export const MIN_PRECISION = 0.95;

/** One planted opportunity and what was found for it. */
export interface PlantedScore {
  kind: OpportunityKindName;
  scope: Record<string, string>;
  /** Fixing it truly saves money (true savings above zero): only these count for recall. */
  expected: boolean;
  found: boolean;
  true_monthly_savings_usd: number | null;
  est_monthly_savings_usd: number;
  /** (estimated - true) / true; null when the key has no priced savings or nothing was found. */
  relative_error: number | null;
}

export interface RunScore {
  scenario: string;
  seed: number;
  planted: PlantedScore[];
  /** Findings per kind, and those matching no planted opportunity (false positives). */
  reported: Record<OpportunityKindName, number>;
  unmatched: Record<OpportunityKindName, number>;
}

const KINDS = Object.values(OpportunityKind) as OpportunityKindName[];

function perKind(): Record<OpportunityKindName, number> {
  return Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<OpportunityKindName, number>;
}

function matches(found: Opportunity, planted: AnswerKey["opportunities"][number]): boolean {
  return found.kind === planted.kind && Object.entries(planted.scope).every(([key, value]) => found.scope[key] === value);
}

/** Scores the findings of one generated workload against its answer key. */
export function scoreRun(found: readonly Opportunity[], key: AnswerKey, scenario = key.scenario): RunScore {
  const reported = perKind();
  const unmatched = perKind();
  const worthFixing = key.opportunities.filter((p) => (p.true_monthly_savings_usd ?? 0) > 0);
  for (const o of found) {
    reported[o.kind] += 1;
    if (!worthFixing.some((p) => matches(o, p))) unmatched[o.kind] += 1;
  }
  const planted = key.opportunities.map((p): PlantedScore => {
    const hits = found.filter((o) => matches(o, p));
    const estimate = hits.reduce((s, o) => s + o.est_monthly_savings_usd, 0);
    const truth = p.true_monthly_savings_usd;
    return {
      kind: p.kind,
      scope: { ...p.scope },
      expected: worthFixing.includes(p),
      found: hits.length > 0,
      true_monthly_savings_usd: truth,
      est_monthly_savings_usd: estimate,
      relative_error: hits.length > 0 && truth !== null && truth !== 0 ? (estimate - truth) / Math.abs(truth) : null,
    };
  });
  return { scenario, seed: key.seed, planted, reported, unmatched };
}

export interface KindSummary {
  kind: OpportunityKindName;
  /** Planted opportunities worth fixing (true savings above zero). */
  planted: number;
  found: number;
  reported: number;
  false_positives: number;
  /** found / planted; 1 when nothing was planted. */
  recall: number;
  /** (reported - false positives) / reported; 1 when nothing was reported. */
  precision: number;
  /** Largest |relative savings error| over the planted opportunities found; null when none has one. */
  max_abs_savings_error: number | null;
  mean_savings_error: number | null;
  tolerance: number;
  /** Recall, precision and every savings error within the acceptance thresholds. */
  pass: boolean;
}

/** Per-kind recall, precision and savings error over several runs. */
export function summarize(runs: readonly RunScore[]): KindSummary[] {
  return KINDS.map((kind) => {
    const planted = runs.flatMap((r) => r.planted.filter((p) => p.kind === kind && p.expected));
    const found = planted.filter((p) => p.found).length;
    const reported = runs.reduce((s, r) => s + r.reported[kind], 0);
    const falsePositives = runs.reduce((s, r) => s + r.unmatched[kind], 0);
    const errors = planted.flatMap((p) => (p.relative_error === null ? [] : [p.relative_error]));
    const recall = planted.length === 0 ? 1 : found / planted.length;
    const precision = reported === 0 ? 1 : (reported - falsePositives) / reported;
    const maxError = errors.length === 0 ? null : Math.max(...errors.map(Math.abs));
    const tolerance = SAVINGS_TOLERANCE[kind];
    return {
      kind,
      planted: planted.length,
      found,
      reported,
      false_positives: falsePositives,
      recall,
      precision,
      max_abs_savings_error: maxError,
      mean_savings_error: errors.length === 0 ? null : errors.reduce((a, b) => a + b, 0) / errors.length,
      tolerance,
      pass: recall >= MIN_RECALL && precision >= MIN_PRECISION && (maxError === null || maxError <= tolerance),
    };
  });
}

const pct = (x: number | null, digits = 1) => (x === null ? "n/a" : `${(x * 100).toFixed(digits)}%`);
const signedPct = (x: number | null) => (x === null ? "n/a" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}%`);

/** The per-kind table as markdown. */
export function summaryTable(summaries: readonly KindSummary[]): string {
  const lines = [
    "| kind | planted | found | reported | false pos. | recall | precision | mean savings error | max abs error | tolerance | pass |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|",
  ];
  for (const s of summaries) {
    lines.push(
      `| \`${s.kind}\` | ${s.planted} | ${s.found} | ${s.reported} | ${s.false_positives} | ${pct(s.recall)} | ` +
        `${pct(s.precision)} | ${signedPct(s.mean_savings_error)} | ${pct(s.max_abs_savings_error, 2)} | ±${pct(s.tolerance, 0)} | ` +
        `${s.pass ? "yes" : "**no**"} |`,
    );
  }
  return lines.join("\n");
}
