// What the user wants from a run, as Triage classifies it; the other agents branch on it.

export const Intent = {
  COST_OVERVIEW: "cost_overview",
  FIND_SAVINGS: "find_savings",
  SPEND_QUESTION: "spend_question",
  LATENCY: "latency",
  COMPARE_MODELS: "compare_models",
  DATA_HELP: "data_help",
  ADMIN: "admin",
  GENERATE_DATA: "generate_data",
} as const;
export type IntentName = (typeof Intent)[keyof typeof Intent];
export const INTENTS = Object.values(Intent) as [IntentName, ...IntentName[]];
