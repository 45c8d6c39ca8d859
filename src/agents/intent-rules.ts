import { readAdminCommand } from "./admin-request.ts";
import type { Budget } from "./hand-offs.ts";
import { Intent, type IntentName } from "./intent.ts";

// The offline reading of a request: weighted keyword rules for the intent, patterns for a budget target and for the
// tools a user exports logs from. An LLM (when configured) classifies instead, and these rules catch its failures.

interface Rule {
  intent: IntentName;
  pattern: RegExp;
  weight: number;
}

// Every quantifier that can meet a long run of the same character is bounded, and no two \s* touch: user text is up to
// 20,000 characters and a regex that backtracks over it quadratically holds the server's one thread for seconds.
const GENERATE = String.raw`\b(?:generate|synthesi[sz]e|create|make|produce|simulate|build)\b[^.?!]{0,40}`;
const RULES: readonly Rule[] = [
  { intent: Intent.GENERATE_DATA, pattern: new RegExp(GENERATE + String.raw`\d[\d,.]{0,20}(?:\s*(?:k|m|thousand|million))?\s+(?:\w{1,40}\s+)?(?:records|rows|calls|requests)\b`), weight: 4 },
  { intent: Intent.GENERATE_DATA, pattern: new RegExp(GENERATE + String.raw`\b(?:synthetic|fake|sample|test|demo)\s+(?:usage\s+)?(?:data|dataset|data set|workload|records|corpus)\b`), weight: 4 },
  { intent: Intent.GENERATE_DATA, pattern: new RegExp(GENERATE + String.raw`\b(?:a|an|new)\s+(?:[\w-]+\s+){0,2}(?:workload|dataset|data set|corpus)\b`), weight: 4 },
  { intent: Intent.ADMIN, pattern: /\b(?:corpus|corpora|datasets?|delete (?:my|the|all) (?:data|logs|records)|tenant|admin|price table|prices? file|retention)\b/, weight: 2 },
  { intent: Intent.DATA_HELP, pattern: /\b(?:upload|import|ingest|export|what data|which data|which format|file format|log format|how do i (?:get|send|load|add)|where do i find|connect)\b/, weight: 2 },
  { intent: Intent.DATA_HELP, pattern: /\b(?:langfuse|litellm|helicone|opentelemetry|otel|usage api|usage report)\b/, weight: 1 },
  { intent: Intent.LATENCY, pattern: /\b(?:latency|latencies|slow|slower|slowest|fast|faster|response times?|ttft|time to first token|p50|p90|p95|p99|duration|timeouts?)\b/, weight: 2 },
  { intent: Intent.COMPARE_MODELS, pattern: /\b(?:compare|comparison|versus|vs\.?|difference between|better than|cheaper than)\b/, weight: 2 },
  { intent: Intent.FIND_SAVINGS, pattern: /\b(?:save|saving|savings|cut|cutting|reduce|reducing|lower|cheaper|optimi[sz]e|optimi[sz]ation|waste|wasted|wasting|trim|budget|overspend\w*|too (?:much|expensive))\b/, weight: 2 },
  { intent: Intent.SPEND_QUESTION, pattern: /\b(?:how much|what did|what was|what is the cost|how many (?:calls|tokens|requests)|cost of|spend on|spent on|spend for|spent|bill for|number of (?:calls|tokens|requests))\b/, weight: 2 },
  { intent: Intent.COST_OVERVIEW, pattern: /\b(?:overview|breakdown|summary|summari[sz]e|where (?:does|is|did) (?:my|the|our) (?:money|spend|budget)|spend by|cost by|report|dashboard|top (?:models|features|users))\b/, weight: 2 },
];

// On a tie, the more specific reading wins.
const PRIORITY: readonly IntentName[] = [
  Intent.GENERATE_DATA,
  Intent.ADMIN,
  Intent.DATA_HELP,
  Intent.COMPARE_MODELS,
  Intent.LATENCY,
  Intent.SPEND_QUESTION,
  Intent.FIND_SAVINGS,
  Intent.COST_OVERVIEW,
];

export interface IntentSignals {
  /** Models the request names (after matching against the data): two or more make a comparison likely. */
  models: number;
  /** The request names a time range, a feature, a model or a user: a spend question is then a specific one. */
  hasEntities: boolean;
}

/** The intent of `text` and the words that decided it. */
export function classifyIntent(text: string, signals: IntentSignals): { intent: IntentName; cues: string[] } {
  // An administration command ("list users", a catalog price) is one whatever spend words it holds.
  if (readAdminCommand(text) !== null) return { intent: Intent.ADMIN, cues: [text.slice(0, 60)] };
  const t = text.toLowerCase();
  const scores = new Map<IntentName, number>();
  const cues: string[] = [];
  for (const rule of RULES) {
    const found = rule.pattern.exec(t);
    if (found) {
      scores.set(rule.intent, (scores.get(rule.intent) ?? 0) + rule.weight);
      cues.push(found[0]);
    }
  }
  if (signals.models >= 2 && /\b(?:or|and|vs|versus|against)\b/.test(t)) scores.set(Intent.COMPARE_MODELS, (scores.get(Intent.COMPARE_MODELS) ?? 0) + 1);
  // "what did X cost last week?" is a question even without "how much".
  if (signals.hasEntities && /\?\s*$|\b(?:cost|spend|spent|calls|tokens)\b/.test(t) && !scores.has(Intent.FIND_SAVINGS)) {
    scores.set(Intent.SPEND_QUESTION, (scores.get(Intent.SPEND_QUESTION) ?? 0) + 1);
  }
  let best: IntentName = Intent.FIND_SAVINGS;
  let bestScore = 0;
  for (const intent of PRIORITY) {
    const score = scores.get(intent) ?? 0;
    if (score > bestScore) {
      best = intent;
      bestScore = score;
    }
  }
  // With no cue at all, the product's default question: where can I save.
  return { intent: bestScore === 0 ? Intent.FIND_SAVINGS : best, cues };
}

/** A budget target: "cut 30%", "reduce costs by a third", "under $500 a month". */
export function extractBudget(text: string): Budget {
  const t = text.toLowerCase().replace(/,(?=\d{3})/g, "");
  const budget: Budget = {};
  const pct = /\b(?:cut|reduce|lower|save|trim|drop|decrease|shave)\w*\b[^.%\d]{0,40}?(\d{1,2}(?:\.\d+)?)\s*(?:%|percent)/.exec(t) ??
    /(\d{1,2}(?:\.\d+)?)\s*(?:%|percent)\s*(?:cheaper|less|lower|cut|reduction|savings?)/.exec(t);
  if (pct) budget.cut_pct = Number(pct[1]);
  else if (/\b(?:by )?(?:half|50 ?%)\b/.test(t) && /\b(?:cut|reduce|halve|lower)\w*/.test(t)) budget.cut_pct = 50;
  else if (/\bhalve\b/.test(t)) budget.cut_pct = 50;
  else if (/\ba third\b/.test(t)) budget.cut_pct = 33.3;
  const target = /\b(?:under|below|within|at most|less than|to)\s+\$\s?(\d+(?:\.\d+)?)(?:\s*(k))?\s*(?:a|per|\/)\s*(?:month|mo)\b/.exec(t);
  if (target) budget.target_monthly_usd = Number(target[1]) * (target[2] === "k" ? 1000 : 1);
  return budget;
}

/** Tools the user names, for the Data Guide to explain their export first. */
export const LOG_SOURCES = ["openai", "anthropic", "litellm", "langfuse", "helicone", "opentelemetry"] as const;
export type LogSource = (typeof LOG_SOURCES)[number];

export function extractSources(text: string): LogSource[] {
  const t = text.toLowerCase();
  const found = new Set<LogSource>();
  if (/\bopen ?ai\b|\bgpt/.test(t)) found.add("openai");
  if (/\banthropic\b|\bclaude\b/.test(t)) found.add("anthropic");
  if (/\blite ?llm\b/.test(t)) found.add("litellm");
  if (/\blangfuse\b/.test(t)) found.add("langfuse");
  if (/\bhelicone\b/.test(t)) found.add("helicone");
  if (/\b(?:open ?telemetry|otel|otlp)\b/.test(t)) found.add("opentelemetry");
  return [...found];
}
