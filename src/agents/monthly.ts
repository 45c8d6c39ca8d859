import { OpportunityKind, ToolName, type OpportunityKindName, type ToolNameValue } from "../protocol/names.ts";

// Monthly figures (analytics.md: the observed amount scaled to 30 days of the observed period) and the analysis tool
// of each opportunity kind.

const MONTH_DAYS = 30;
/** As the analyses do: a log shorter than an hour is scaled as one hour. */
const MIN_PERIOD_DAYS = 1 / 24;

/** `amount` observed over `days` scaled to 30 days. */
export function monthly(amount: number, days: number): number {
  return (amount * MONTH_DAYS) / Math.max(days, MIN_PERIOD_DAYS);
}

export const ANALYSIS_TOOL: Readonly<Record<OpportunityKindName, ToolNameValue>> = {
  [OpportunityKind.MODEL_RIGHTSIZING]: ToolName.FIND_MODEL_RIGHTSIZING,
  [OpportunityKind.PROMPT_CACHING]: ToolName.FIND_PROMPT_CACHING,
  [OpportunityKind.RESPONSE_CACHING]: ToolName.FIND_RESPONSE_CACHING,
  [OpportunityKind.BATCH_API]: ToolName.FIND_BATCH_API,
  [OpportunityKind.PRIORITY_TIER]: ToolName.FIND_PRIORITY_TIER,
  [OpportunityKind.OUTPUT_TRUNCATION]: ToolName.FIND_OUTPUT_TRUNCATION,
  [OpportunityKind.RETRY_WASTE]: ToolName.FIND_RETRY_WASTE,
  [OpportunityKind.CONTEXT_BLOAT]: ToolName.FIND_CONTEXT_BLOAT,
};
