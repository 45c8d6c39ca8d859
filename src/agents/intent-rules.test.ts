import { describe, expect, it } from "vitest";
import { Intent } from "./intent.ts";
import { classifyIntent, extractBudget, extractSources } from "./intent-rules.ts";
import { readRequest, type Vocabulary } from "./request-reading.ts";

const VOCABULARY: Vocabulary = {
  models: ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "claude-3-5-sonnet-20241022"],
  features: ["support_chat", "kb_search", "ticket_classification", "nightly_digest"],
  users: ["u-1042", "u-7"],
  corpora: ["prod", "staging"],
};
const LATEST = new Date("2026-02-03T17:42:10.000Z");

describe("intent", () => {
  it.each([
    ["Where can I cut my LLM costs?", Intent.FIND_SAVINGS],
    ["how do I reduce spend", Intent.FIND_SAVINGS],
    ["", Intent.FIND_SAVINGS],
    ["give me an overview of my spend by model", Intent.COST_OVERVIEW],
    ["where does my money go?", Intent.COST_OVERVIEW],
    ["what did the support-chat feature cost last week?", Intent.SPEND_QUESTION],
    ["how much did we spend in January?", Intent.SPEND_QUESTION],
    ["how many tokens did kb search use yesterday", Intent.SPEND_QUESTION],
    ["which model is slowest? show p99 latency", Intent.LATENCY],
    ["compare gpt-4o and claude 3.5 sonnet", Intent.COMPARE_MODELS],
    ["gpt-4o vs gpt-4o-mini on cost", Intent.COMPARE_MODELS],
    ["how do I export my logs from Langfuse?", Intent.DATA_HELP],
    ["which file format can I upload", Intent.DATA_HELP],
    ["delete the staging dataset", Intent.ADMIN],
    ["list my corpora", Intent.ADMIN],
  ])("%j → %s", (text, intent) => {
    expect(readRequest(text, VOCABULARY, LATEST).intent).toBe(intent);
  });

  it("names the cues that decided", () => {
    expect(classifyIntent("help me save money", { models: 0, hasEntities: false }).cues).toContain("save");
  });
});

describe("entities", () => {
  it("reads the acceptance question: feature, last week, a spend question", () => {
    const reading = readRequest("what did the support-chat feature cost last week?", VOCABULARY, LATEST);
    expect(reading.entities.features).toEqual(["support_chat"]);
    expect(reading.entities.models).toEqual([]);
    expect(reading.entities.time_range?.from).toBe("2026-01-28T00:00:00.000Z");
    expect(reading.entities.time_range?.to).toBe("2026-02-04T00:00:00.000Z");
  });

  it("finds models, users and a named dataset", () => {
    const reading = readRequest("what did user u-1042 spend on gpt-4o in staging", VOCABULARY, LATEST);
    expect(reading.entities.users).toEqual(["u-1042"]);
    expect(reading.entities.models).toEqual(["gpt-4o-2024-08-06"]);
    expect(reading.corpus).toBe("staging");
  });

  it("without data there is no reference time, so no range", () => {
    expect(readRequest("costs last week", VOCABULARY, null).entities.time_range).toBeNull();
  });

  it.each([
    ["cut costs by 30%", { cut_pct: 30 }],
    ["I need to reduce spend 25 percent", { cut_pct: 25 }],
    ["a 40% cheaper setup", { cut_pct: 40 }],
    ["halve the bill", { cut_pct: 50 }],
    ["keep it under $500 a month", { target_monthly_usd: 500 }],
    ["get below $2k per month", { target_monthly_usd: 2000 }],
    ["cut 20% and stay under $1,000/month", { cut_pct: 20, target_monthly_usd: 1000 }],
    ["where does my money go", {}],
  ])("budget in %j", (text, budget) => {
    expect(extractBudget(text)).toEqual(budget);
  });

  it.each([
    ["export from Langfuse", ["langfuse"]],
    ["we use the LiteLLM proxy and OpenAI", ["openai", "litellm"]],
    ["otel spans from claude calls", ["anthropic", "opentelemetry"]],
    ["my logs", []],
  ])("log sources in %j", (text, sources) => {
    expect(extractSources(text).sort()).toEqual([...sources].sort());
  });
});
