import type { CorpusSummary, TokenPercentiles, UsageBreakdownRow, UsageTotals } from "./tool-results.ts";
import type { ActionPlanStep, Opportunity } from "../protocol/report.ts";
import type { ScopeParams } from "../tools/scope.ts";
import type { IntentName } from "./intent.ts";

// The shapes the agents hand on through the metadata store (keys in metadata-keys.ts). JSON values only.

export interface TimeRange {
  /** Inclusive start, ISO 8601 UTC. */
  from: string;
  /** Exclusive end, ISO 8601 UTC. */
  to: string;
  /** The user's words, e.g. "last week". */
  phrase: string;
  /** One sentence saying how the words were read (relative to the data, not the wall clock). */
  explanation: string;
}

export interface Budget {
  /** "cut 30%": the share of spend to remove. */
  cut_pct?: number;
  /** "under $500 a month": the monthly spend to reach. */
  target_monthly_usd?: number;
}

export interface Entities {
  time_range: TimeRange | null;
  models: string[];
  features: string[];
  users: string[];
  budget: Budget;
  /** Tools the user named for the Data Guide ("langfuse", "litellm"…). */
  sources: string[];
}

export interface TriageResult {
  intent: IntentName;
  entities: Entities;
  /** The scope the Data and Optimize agents query. */
  scope: ScopeParams;
  has_data: boolean;
  corpora: CorpusSummary[];
  /** Last call in the user's data (ISO), the reference of relative time ranges; null without data. */
  latest: string | null;
  /** "rules" or the LLM that classified the request. */
  classified_by: string;
}

export interface DataFindings {
  scope: ScopeParams;
  totals: UsageTotals;
  by_model: UsageBreakdownRow[];
  by_feature: UsageBreakdownRow[];
  by_day: UsageBreakdownRow[];
  /** Rows of the users the request names (per-user filters are not part of a scope). */
  by_user: UsageBreakdownRow[];
  unpriced_models: { model: string; calls: number; records: number }[];
  /** Per-model latency and token percentiles, fetched for latency and comparison questions. */
  percentiles: TokenPercentiles[];
}

export interface DataGuide {
  /** Markdown: what to upload, from which tool, how to export it. */
  text: string;
  sources: string[];
}

export interface ActionsResult {
  opportunities: Opportunity[];
  action_plan: ActionPlanStep[];
}
