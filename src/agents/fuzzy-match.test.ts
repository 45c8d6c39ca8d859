import { describe, expect, it } from "vitest";
import { editDistance, matchVocabulary, normalizePhrase } from "./fuzzy-match.ts";

const FEATURES = ["support_chat", "kb_search", "ticket_classification", "support_agent", "nightly_digest", "crm_enrichment"];
const MODELS = ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022", "o3-mini"];

describe("matchVocabulary", () => {
  it.each([
    ["what did the support-chat feature cost?", ["support_chat"]],
    ["support chat spend last week", ["support_chat"]],
    ["SupportChat costs", ["support_chat"]],
    ["the suport chat feature", ["support_chat"]],
    ["kb search and ticket classification", ["kb_search", "ticket_classification"]],
    ["nightly digest jobs", ["nightly_digest"]],
    ["where can I save money?", []],
    ["the support team", []],
  ])("features in %j", (text, expected) => {
    expect(matchVocabulary(text, FEATURES, { typos: true }).sort()).toEqual([...expected].sort());
  });

  it.each([
    ["how much did gpt-4o cost", ["gpt-4o-2024-08-06"]],
    ["gpt-4o-mini spend", ["gpt-4o-mini-2024-07-18"]],
    ["compare gpt-4o and gpt-4o mini", ["gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18"]],
    ["claude 3.5 sonnet latency", ["claude-3-5-sonnet-20241022"]],
    ["the o3-mini calls", ["o3-mini"]],
    ["gpt-4o-2024-08-06 exactly", ["gpt-4o-2024-08-06"]],
    ["gemini usage", []],
  ])("models in %j", (text, expected) => {
    expect(matchVocabulary(text, MODELS, { versionSuffix: true, typos: true }).sort()).toEqual([...expected].sort());
  });

  it("matches ids exactly when typos are off", () => {
    expect(matchVocabulary("what did user u-1042 spend", ["u-1042", "u-1043", "u-104"])).toEqual(["u-1042"]);
    expect(matchVocabulary("what did user u-1044 spend", ["u-1042", "u-1043"])).toEqual([]);
  });
});

describe("edit distance and normalization", () => {
  it("computes Levenshtein distances and stops early past the bound", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("support", "suport")).toBe(1);
    expect(editDistance("abc", "abc")).toBe(0);
    expect(editDistance("abcdef", "uvwxyz", 1)).toBe(2);
  });
  it("lowercases and turns punctuation into spaces", () => {
    expect(normalizePhrase("  Support_Chat / GPT-4o! ")).toBe("support chat gpt 4o");
  });
});
