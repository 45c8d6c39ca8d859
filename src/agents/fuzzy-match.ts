// Matching names in the user's words against the vocabulary of their own data (models, features, users): "support
// chat" finds `support_chat`, "gpt-4o" finds `gpt-4o-2024-08-06`, "suport-chat" survives the typo.
// It runs on the request loop, so every step is bounded: the words read, the names considered, the typo checks and the
// candidates kept. Exact and version matches are hash lookups; typo matches come from an index (below), never from
// comparing every name with every group of words.

export interface VocabularyMatchOptions {
  /** Also match a value by its name without a trailing date or version ("gpt-4o" → "gpt-4o-2024-08-06"). */
  versionSuffix?: boolean;
  /** Allow a small edit distance for longer names (off for ids such as users). */
  typos?: boolean;
}

/** What one match cost: the bounds below cap each number whatever the text and the vocabulary. */
export interface MatchWork {
  /** Words of the text read (the first MAX_MATCHED_TOKENS). */
  tokens: number;
  /** Distinct vocabulary values considered (the first MAX_MATCHED_VALUES). */
  values: number;
  /** Edit-distance checks made for typos. */
  typoChecks: number;
  candidates: number;
}

interface Span {
  start: number;
  end: number;
}

interface Candidate extends Span {
  value: string;
  quality: number;
}

// Words that make a different model when they follow a family name: "gpt-4o mini" is not "gpt-4o".
const MODEL_MODIFIERS = new Set(["mini", "nano", "turbo", "pro", "flash", "lite", "haiku", "sonnet", "opus", "large", "small", "medium", "preview", "instruct", "plus", "max"]);
const MAX_NGRAM = 6;
const MIN_TYPO_LENGTH = 6;
/** A question names its models and features early; a pasted log past this many words is not read for names. */
export const MAX_MATCHED_TOKENS = 1_000;
/** Callers pass the vocabulary most expensive first (the breakdown's order): the rest is not matched. */
export const MAX_MATCHED_VALUES = 10_000;
/** Names longer than this match exactly or by version only. */
const MAX_TYPO_LENGTH = 64;
export const MAX_TYPO_CHECKS = 20_000;
export const MAX_CANDIDATES = 20_000;
const DIGITS = /^\d+$/;
const VERSION_TOKEN = /^(?:\d{2,8}|latest|v\d+)$/;

export function normalizePhrase(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

/** Levenshtein distance, giving up (returning max + 1) once it exceeds `max`; only the diagonal band of width max is computed. */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const band = Math.min(max, Math.max(a.length, b.length));
  const over = band + 1;
  let previous = new Int32Array(b.length + 1);
  let current = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j += 1) previous[j] = j <= band ? j : over;
  for (let i = 1; i <= a.length; i += 1) {
    const lo = Math.max(1, i - band);
    const hi = Math.min(b.length, i + band);
    current[lo - 1] = lo === 1 && i <= band ? i : over;
    let rowMin = current[lo - 1] ?? over;
    const code = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j += 1) {
      const cost = code === b.charCodeAt(j - 1) ? 0 : 1;
      const value = Math.min((previous[j] ?? over) + 1, (current[j - 1] ?? over) + 1, (previous[j - 1] ?? over) + cost, over);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (hi < b.length) current[hi + 1] = over;
    if (rowMin > max) return max + 1;
    [previous, current] = [current, previous];
  }
  return Math.min(previous[b.length] ?? over, max + 1);
}

/** A name without its trailing date/version tokens ("gpt 4o 2024 08 06" → "gpt 4o"); null when nothing is stripped. */
function withoutVersion(tokens: readonly string[]): string[] | null {
  let end = tokens.length;
  while (end > 1 && VERSION_TOKEN.test(tokens[end - 1] ?? "")) end -= 1;
  return end < tokens.length ? tokens.slice(0, end) : null;
}

function allowedTypos(length: number): number {
  if (length < MIN_TYPO_LENGTH) return 0;
  return length >= 12 ? 2 : 1;
}

/**
 * Names within 1 or 2 edits of a word, by pigeonhole: a name of length L allowing k edits is cut into k + 1 pieces, and
 * at most k edits leave one piece intact. The first piece then starts the word, the last ends it, and (k = 2, one edit
 * on each side) the middle one sits within one place of where it was. So a word only meets the names that share one of
 * those pieces at that place, each checked once, and the checks stop at MAX_TYPO_CHECKS.
 */
class TypoIndex {
  /** Per (typos, length): the names by their first, last and (2 typos) middle piece. */
  readonly #tables = new Map<number, PieceTable>();
  readonly #names: { value: string; compact: string; typos: number }[] = [];
  #checks = 0;

  get checks(): number {
    return this.#checks;
  }

  add(value: string, compact: string, typos: number): void {
    const id = this.#names.push({ value, compact, typos }) - 1;
    const length = compact.length;
    const key = typos * 256 + length;
    let table = this.#tables.get(key);
    if (table === undefined) {
      const third = Math.floor(length / (typos + 1));
      table = { first: new Map(), last: new Map(), middle: new Map(), cut: third, lastCut: Math.floor((length * typos) / (typos + 1)) };
      this.#tables.set(key, table);
    }
    push(table.first, compact.slice(0, table.cut), id);
    push(table.last, compact.slice(table.lastCut), id);
    if (typos === 2) push(table.middle, compact.slice(table.cut, table.lastCut), id);
  }

  /** The names within their allowed distance of `gram` (never `gram` itself). */
  near(gram: string): string[] {
    const found: string[] = [];
    let seen: Set<number> | undefined;
    for (let typos = 1; typos <= 2; typos += 1) {
      for (let length = gram.length - typos; length <= gram.length + typos; length += 1) {
        const table = this.#tables.get(typos * 256 + length);
        if (table === undefined) continue;
        const drift = gram.length - length;
        const buckets = [table.first.get(gram.slice(0, table.cut)), table.last.get(gram.slice(table.lastCut + drift))];
        // One edit on each side leaves the middle piece intact, one place either side of where it was.
        if (typos === 2) for (let shift = -1; shift <= 1; shift += 1) buckets.push(table.middle.get(gram.slice(table.cut + shift, table.lastCut + shift)));
        for (const bucket of buckets) {
          for (const id of bucket ?? []) {
            seen ??= new Set();
            if (seen.has(id)) continue;
            seen.add(id);
            const name = this.#names[id];
            if (name === undefined || name.compact === gram) continue;
            if (this.#checks >= MAX_TYPO_CHECKS) return found;
            this.#checks += 1;
            if (editDistance(gram, name.compact, name.typos) <= name.typos) found.push(name.value);
          }
        }
      }
    }
    return found;
  }
}

interface PieceTable {
  first: Map<string, number[]>;
  last: Map<string, number[]>;
  middle: Map<string, number[]>;
  /** Where the first piece ends and where the last one starts, in a name of the table's length. */
  cut: number;
  lastCut: number;
}

function push(map: Map<string, number[]>, key: string, id: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [id]);
  else list.push(id);
}

/** The token spans of the text for every group of up to MAX_NGRAM consecutive tokens, by their letters run together. */
function gramsOf(tokens: readonly string[]): Map<string, Span[]> {
  const grams = new Map<string, Span[]>();
  for (let start = 0; start < tokens.length; start += 1) {
    let compact = "";
    for (let n = 1; n <= MAX_NGRAM && start + n <= tokens.length; n += 1) {
      compact += tokens[start + n - 1];
      const list = grams.get(compact);
      if (list === undefined) grams.set(compact, [{ start, end: start + n }]);
      else list.push({ start, end: start + n });
    }
  }
  return grams;
}

/**
 * Longer spans first, then better quality: a span inside an already chosen one of another value is a weaker reading.
 * Chosen spans are kept by position, so a candidate only looks at the few spans (up to MAX_NGRAM tokens) around it.
 */
function resolveOverlaps(candidates: Candidate[], tokenCount: number): Map<string, number> {
  candidates.sort((a, b) => b.end - b.start - (a.end - a.start) || b.quality - a.quality);
  // Per chosen span: up to two distinct values of any quality, and up to two per quality; "another value" needs no more.
  const chosen = new Map<number, { any: string[]; byQuality: string[][] }>();
  const other = (values: readonly string[] | undefined, value: string) => values?.some((v) => v !== value) === true;
  const best = new Map<string, number>();
  for (const c of candidates) {
    const length = c.end - c.start;
    let inside = false;
    for (let start = Math.max(0, c.end - MAX_NGRAM); start <= c.start && !inside; start += 1) {
      for (let end = c.end; end <= Math.min(tokenCount, start + MAX_NGRAM) && !inside; end += 1) {
        const at = chosen.get(start * (MAX_NGRAM + 1) + (end - start));
        if (at === undefined) continue;
        inside = end - start > length ? other(at.any, c.value) : at.byQuality.slice(c.quality + 1).some((values) => other(values, c.value));
      }
    }
    if (inside) continue;
    const key = c.start * (MAX_NGRAM + 1) + length;
    const at = chosen.get(key) ?? { any: [], byQuality: [[], [], [], []] };
    chosen.set(key, at);
    if (at.any.length < 2 && !at.any.includes(c.value)) at.any.push(c.value);
    const same = at.byQuality[c.quality];
    if (same !== undefined && same.length < 2 && !same.includes(c.value)) same.push(c.value);
    best.set(c.value, Math.max(best.get(c.value) ?? 0, c.quality));
  }
  return best;
}

/** The vocabulary values the text names, best matches first, with what the match cost. */
export function matchVocabularyWithWork(
  text: string,
  vocabulary: readonly string[],
  options: VocabularyMatchOptions = {},
): { matches: string[]; work: MatchWork } {
  const tokens = normalizePhrase(text).split(" ").filter((t) => t !== "").slice(0, MAX_MATCHED_TOKENS);
  const grams = gramsOf(tokens);
  const candidates: Candidate[] = [];
  const add = (value: string, spans: readonly Span[], quality: number) => {
    for (const span of spans) if (candidates.length < MAX_CANDIDATES) candidates.push({ value, ...span, quality });
  };
  const typoIndex = options.typos === true ? new TypoIndex() : null;
  const values = [...new Set(vocabulary)].slice(0, MAX_MATCHED_VALUES);
  for (const value of values) {
    const valueTokens = normalizePhrase(value).split(" ").filter((t) => t !== "");
    if (valueTokens.length === 0 || valueTokens.every((t) => DIGITS.test(t))) continue;
    const compact = valueTokens.join("");
    add(value, grams.get(compact) ?? [], 3);
    const base = options.versionSuffix === true ? withoutVersion(valueTokens) : null;
    if (base !== null) add(value, (grams.get(base.join("")) ?? []).filter((span) => !MODEL_MODIFIERS.has(tokens[span.end] ?? "")), 2);
    const typos = allowedTypos(compact.length);
    if (typoIndex !== null && typos > 0 && compact.length <= MAX_TYPO_LENGTH) typoIndex.add(value, compact, typos);
  }
  if (typoIndex !== null) {
    for (const [gram, spans] of grams) {
      if (DIGITS.test(gram) || gram.length > MAX_TYPO_LENGTH + 2) continue;
      for (const value of typoIndex.near(gram)) add(value, spans, 1);
    }
  }
  const best = resolveOverlaps(candidates, tokens.length);
  return {
    matches: [...best].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([value]) => value),
    work: { tokens: tokens.length, values: values.length, typoChecks: typoIndex?.checks ?? 0, candidates: candidates.length },
  };
}

/** The vocabulary values the text names, best matches first; overlapping weaker matches are dropped. */
export function matchVocabulary(text: string, vocabulary: readonly string[], options: VocabularyMatchOptions = {}): string[] {
  return matchVocabularyWithWork(text, vocabulary, options).matches;
}
