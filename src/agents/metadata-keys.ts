// The metadata keys the Apex agents hand results on with: one place, so a writer and its readers cannot drift apart.

export const MetadataKey = {
  /** TriageResult: intent, entities, resolved scope and whether the user has usage data. */
  TRIAGE: "apex.triage",
  /** DataGuide: what to upload and how to export it, when there is no usage data (or the user asked). */
  DATA_GUIDE: "apex.data_guide",
  /** DataFindings: totals, breakdowns and percentiles of the resolved scope. */
  DATA: "apex.data",
  /** Opportunity[] kept by Optimize (evidence-backed, savings > 0), before the action steps. */
  OPPORTUNITIES: "apex.opportunities",
  /** Warnings any agent raises about the data or an analysis that could not run (string list). */
  WARNINGS: "apex.warnings",
  /** ActionsResult: opportunities with their concrete steps, and the ordered action plan. */
  ACTIONS: "apex.actions",
} as const;
