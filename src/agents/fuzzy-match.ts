// Matching names in the user's words against the vocabulary of their own data (models, features, users): "support
// chat" finds `support_chat`, "gpt-4o" finds `gpt-4o-2024-08-06`, "suport-chat" survives the typo.

export interface VocabularyMatchOptions {
  /** Also match a value by its name without a trailing date or version ("gpt-4o" → "gpt-4o-2024-08-06"). */
  versionSuffix?: boolean;
  /** Allow a small edit distance for longer names (off for ids such as users). */
  typos?: boolean;
}

interface Candidate {
  value: string;
  start: number;
  end: number;
  quality: number;
}

// Words that make a different model when they follow a family name: "gpt-4o mini" is not "gpt-4o".
const MODEL_MODIFIERS = new Set(["mini", "nano", "turbo", "pro", "flash", "lite", "haiku", "sonnet", "opus", "large", "small", "medium", "preview", "instruct", "plus", "max"]);
const MAX_NGRAM = 6;
const MIN_TYPO_LENGTH = 6;

export function normalizePhrase(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

/** Levenshtein distance, giving up (returning max + 1) once it exceeds `max`. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > max) return max + 1;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** A name without its trailing date/version tokens ("gpt 4o 2024 08 06" → "gpt 4o"); null when nothing is stripped. */
function withoutVersion(tokens: readonly string[]): string[] | null {
  let end = tokens.length;
  while (end > 1 && /^(?:\d{2,8}|latest|v\d+)$/.test(tokens[end - 1] ?? "")) end -= 1;
  return end < tokens.length ? tokens.slice(0, end) : null;
}

function allowedTypos(length: number): number {
  if (length < MIN_TYPO_LENGTH) return 0;
  return length >= 12 ? 2 : 1;
}

/** The vocabulary values the text names, best matches first; overlapping weaker matches are dropped. */
export function matchVocabulary(text: string, vocabulary: readonly string[], options: VocabularyMatchOptions = {}): string[] {
  const tokens = normalizePhrase(text).split(" ").filter((t) => t !== "");
  const grams = new Map<string, { start: number; end: number }[]>();
  for (let start = 0; start < tokens.length; start += 1) {
    for (let n = 1; n <= MAX_NGRAM && start + n <= tokens.length; n += 1) {
      const compact = tokens.slice(start, start + n).join("");
      const list = grams.get(compact) ?? [];
      list.push({ start, end: start + n });
      grams.set(compact, list);
    }
  }
  const candidates: Candidate[] = [];
  for (const value of new Set(vocabulary)) {
    const valueTokens = normalizePhrase(value).split(" ").filter((t) => t !== "");
    if (valueTokens.length === 0 || valueTokens.every((t) => /^\d+$/.test(t))) continue;
    const compact = valueTokens.join("");
    for (const span of grams.get(compact) ?? []) candidates.push({ value, ...span, quality: 3 });
    const base = options.versionSuffix ? withoutVersion(valueTokens) : null;
    if (base !== null) {
      for (const span of grams.get(base.join("")) ?? []) {
        if (!MODEL_MODIFIERS.has(tokens[span.end] ?? "")) candidates.push({ value, ...span, quality: 2 });
      }
    }
    const typos = options.typos ? allowedTypos(compact.length) : 0;
    if (typos > 0) {
      for (const [gram, spans] of grams) {
        if (gram === compact || Math.abs(gram.length - compact.length) > typos || /^\d+$/.test(gram)) continue;
        if (editDistance(gram, compact, typos) <= typos) for (const span of spans) candidates.push({ value, ...span, quality: 1 });
      }
    }
  }
  // Longer spans first, then better quality: a span inside an already chosen one of another value is a weaker reading.
  candidates.sort((a, b) => b.end - b.start - (a.end - a.start) || b.quality - a.quality);
  const chosen: Candidate[] = [];
  for (const c of candidates) {
    const inside = chosen.some((k) => k.value !== c.value && c.start >= k.start && c.end <= k.end && (k.end - k.start > c.end - c.start || k.quality > c.quality));
    if (!inside) chosen.push(c);
  }
  const best = new Map<string, number>();
  for (const c of chosen) best.set(c.value, Math.max(best.get(c.value) ?? 0, c.quality));
  return [...best].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([value]) => value);
}
