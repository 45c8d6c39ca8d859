import { matchVocabulary } from "./fuzzy-match.ts";
import type { Entities } from "./hand-offs.ts";
import type { IntentName } from "./intent.ts";
import { classifyIntent, extractBudget, extractSources } from "./intent-rules.ts";
import { resolveTimeRange } from "./time-range.ts";

// The rule-based reading of one request against the vocabulary of the user's own data: intent and entities.

export interface Vocabulary {
  models: readonly string[];
  features: readonly string[];
  users: readonly string[];
  corpora: readonly string[];
}

export interface RequestReading {
  intent: IntentName;
  /** The words that decided the intent. */
  cues: string[];
  entities: Entities;
  /** A dataset the request names, when it names one. */
  corpus: string | null;
}

export const EMPTY_VOCABULARY: Vocabulary = { models: [], features: [], users: [], corpora: [] };

export function readRequest(text: string, vocabulary: Vocabulary, latest: Date | null): RequestReading {
  const models = matchVocabulary(text, vocabulary.models, { versionSuffix: true, typos: true });
  const features = matchVocabulary(text, vocabulary.features, { typos: true });
  // User ids are matched exactly: a near miss on an id names somebody else.
  const users = matchVocabulary(text, vocabulary.users);
  const corpora = vocabulary.corpora.length > 1 ? matchVocabulary(text, vocabulary.corpora) : [];
  const timeRange = latest === null ? null : resolveTimeRange(text, latest);
  const hasEntities = models.length + features.length + users.length > 0 || timeRange !== null;
  const { intent, cues } = classifyIntent(text, { models: models.length, hasEntities });
  return {
    intent,
    cues,
    entities: { time_range: timeRange, models, features, users, budget: extractBudget(text), sources: extractSources(text) },
    corpus: corpora[0] ?? null,
  };
}
