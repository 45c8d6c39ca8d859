import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  editDistance,
  matchVocabulary,
  matchVocabularyWithWork,
  MAX_CANDIDATES,
  MAX_MATCHED_TOKENS,
  MAX_MATCHED_VALUES,
  MAX_TYPO_CHECKS,
  normalizePhrase,
  type VocabularyMatchOptions,
} from "./fuzzy-match.ts";

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

/** The matching as first written (every name against every group of words): the oracle the index must agree with. */
function allPairsMatch(text: string, vocabulary: readonly string[], options: VocabularyMatchOptions): string[] {
  const modifiers = new Set(["mini", "nano", "turbo", "pro", "flash", "lite", "haiku", "sonnet", "opus", "large", "small", "medium", "preview", "instruct", "plus", "max"]);
  const tokens = normalizePhrase(text).split(" ").filter((t) => t !== "");
  const grams = new Map<string, { start: number; end: number }[]>();
  for (let start = 0; start < tokens.length; start += 1) {
    for (let n = 1; n <= 6 && start + n <= tokens.length; n += 1) {
      const compact = tokens.slice(start, start + n).join("");
      grams.set(compact, [...(grams.get(compact) ?? []), { start, end: start + n }]);
    }
  }
  const candidates: { value: string; start: number; end: number; quality: number }[] = [];
  for (const value of new Set(vocabulary)) {
    const valueTokens = normalizePhrase(value).split(" ").filter((t) => t !== "");
    if (valueTokens.length === 0 || valueTokens.every((t) => /^\d+$/.test(t))) continue;
    const compact = valueTokens.join("");
    for (const span of grams.get(compact) ?? []) candidates.push({ value, ...span, quality: 3 });
    let end = valueTokens.length;
    while (end > 1 && /^(?:\d{2,8}|latest|v\d+)$/.test(valueTokens[end - 1] ?? "")) end -= 1;
    if (options.versionSuffix === true && end < valueTokens.length) {
      for (const span of grams.get(valueTokens.slice(0, end).join("")) ?? []) {
        if (!modifiers.has(tokens[span.end] ?? "")) candidates.push({ value, ...span, quality: 2 });
      }
    }
    const typos = options.typos !== true || compact.length < 6 ? 0 : compact.length >= 12 ? 2 : 1;
    for (const [gram, spans] of typos > 0 ? grams : []) {
      if (gram === compact || /^\d+$/.test(gram) || editDistance(gram, compact, typos) > typos) continue;
      for (const span of spans) candidates.push({ value, ...span, quality: 1 });
    }
  }
  candidates.sort((a, b) => b.end - b.start - (a.end - a.start) || b.quality - a.quality);
  const chosen: typeof candidates = [];
  for (const c of candidates) {
    const inside = chosen.some((k) => k.value !== c.value && c.start >= k.start && c.end <= k.end && (k.end - k.start > c.end - c.start || k.quality > c.quality));
    if (!inside) chosen.push(c);
  }
  const best = new Map<string, number>();
  for (const c of chosen) best.set(c.value, Math.max(best.get(c.value) ?? 0, c.quality));
  return [...best].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([value]) => value);
}

/** The plain dynamic-programming distance, to check the banded one. */
function fullDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

describe("the bounded matcher agrees with matching every name against every group of words", () => {
  // A small alphabet makes near misses, shared pieces and overlapping spans common.
  const syllable = fc.constantFrom("ab", "ba", "abc", "cab", "bca", "a", "b", "c", "12", "2024", "mini", "v2", "latest");
  const name = fc.array(syllable, { minLength: 1, maxLength: 5 }).chain((parts) =>
    fc.constantFrom("_", "-", " ", "").map((sep) => parts.join(sep)),
  );
  const words = fc.array(fc.oneof(syllable, name), { maxLength: 30 }).map((w) => w.join(" "));

  it.each([
    ["typos", { typos: true }],
    ["versions and typos", { versionSuffix: true, typos: true }],
    ["exact", {}],
  ] as const)("on random names and words (%s)", (_label, options) => {
    fc.assert(
      fc.property(words, fc.array(name, { maxLength: 40 }), (text, vocabulary) => {
        expect(matchVocabulary(text, vocabulary, options)).toEqual(allPairsMatch(text, vocabulary, options));
      }),
      { numRuns: 400 },
    );
  });

  it("computes the banded distance as the full one, up to its bound", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 14 }), fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 14 }), fc.integer({ min: 0, max: 3 }), (a, b, max) => {
        expect(editDistance(a, b, max)).toBe(Math.min(fullDistance(a, b), max + 1));
        expect(editDistance(a, b)).toBe(fullDistance(a, b));
      }),
      { numRuns: 500 },
    );
  });
});

describe("a user's many names and a long message (issue 13, finding 2)", () => {
  let seed = 13;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const word = (letters: string, length: number) => Array.from({ length }, () => letters[Math.floor(random() * letters.length)]).join("");
  // Names and filler words from disjoint letters: nothing in the filler is near a name, so the answers are exactly the planted ones.
  const features = Array.from({ length: 5_000 }, (_, i) => `${word("abcdefghijklm", 7)}_${word("abcdefghijklm", 6)}_${i}`);
  const models = Array.from({ length: 5_000 }, (_, i) => `${word("abcdefghijklm", 5)}-${word("abcdefghijklm", 3)}-2024-${String(i).padStart(4, "0")}`);
  const [feature, typoed, model] = [features[17] ?? "", features[4_321] ?? "", models[2_500] ?? ""];
  // Two typos, one at each end of a long name: only its middle piece is left to find it by.
  const typo = typoed.replace(/_/g, " ").replace(/^(\w)\w/, "$1z").replace(/\w$/, "z");
  const modelFamily = model.split("-").slice(0, 2).join("-");
  let message = `what did ${feature.replace(/_/g, " ")} and ${typo} cost on ${modelFamily}? `;
  while (message.length < 20_000) message += `${word("nopqrstuvwxyz", 3 + Math.floor(random() * 6))} `;
  message = message.slice(0, 20_000);

  it("finds the planted names with bounded work", () => {
    const found = matchVocabularyWithWork(message, features, { typos: true });
    expect(found.matches.sort()).toEqual([feature, typoed].sort());
    const models_ = matchVocabularyWithWork(message, models, { versionSuffix: true, typos: true });
    expect(models_.matches).toEqual([model]);
    for (const { work } of [found, models_]) {
      expect(work.tokens).toBeLessThanOrEqual(MAX_MATCHED_TOKENS);
      expect(work.values).toBeLessThanOrEqual(MAX_MATCHED_VALUES);
      expect(work.typoChecks).toBeLessThanOrEqual(MAX_TYPO_CHECKS);
      expect(work.candidates).toBeLessThanOrEqual(MAX_CANDIDATES);
      // The index meets a handful of names, not 5,000 names × every group of words.
      expect(work.typoChecks).toBeLessThan(100);
    }
  });

  it("stops at its bounds when every word is near every name", () => {
    // 5,000 names one edit apart from each other and from every word: the checks stop at the bound.
    const near = Array.from({ length: 5_000 }, (_, i) => `feature${String(i).padStart(5, "0")}`);
    const text = Array.from({ length: 3_000 }, (_, i) => `feature${String(i * 7).padStart(5, "0")}x`).join(" ");
    const { matches, work } = matchVocabularyWithWork(text, near, { typos: true });
    expect(work.typoChecks).toBe(MAX_TYPO_CHECKS);
    expect(work.tokens).toBe(MAX_MATCHED_TOKENS);
    expect(matches.length).toBeGreaterThan(0);
  });
});
