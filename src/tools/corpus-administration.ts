import type { UsageQueries } from "../analytics/store.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { CorpusIngestStatus } from "../protocol/rest.ts";

// The rules of renaming and deleting a user's corpus, shared by the chat tools and the server's REST routes.

/** Renaming and deleting an owner's corpus, with everything that belongs to it. */
export interface CorpusAdministration {
  /** Renames the owner's `corpus` to `name` (the rule of `checkRename`); the number of records renamed. */
  rename(owner: string, corpus: string, name: string): Promise<number>;
  /** Deletes the owner's `corpus` with its records; the number deleted (`not_found` when it has none). */
  delete(owner: string, corpus: string): Promise<number>;
  /**
   * Whether the last ingest into each of the owner's corpora completed (`partial`: stopped early), by corpus name; a
   * corpus without an entry is complete. Absent where ingests are not logged (`apex analyze`).
   */
  statuses?(owner: string, corpus?: string): Promise<ReadonlyMap<string, CorpusIngestStatus>>;
}

export function corpusNotFound(corpus: string): ApexError {
  return new ApexError(ErrorCode.NOT_FOUND, `You have no dataset named "${corpus}"; list your datasets to see their names.`);
}

function corpusExists(corpus: string): ApexError {
  return new ApexError(ErrorCode.CORPUS_EXISTS, `You already have a dataset named "${corpus}"; pick another name or delete that one first.`);
}

/** The rule of a rename among the owner's `corpora` (chat and REST alike): the corpus exists, the new name is free. */
export function checkRename(corpora: readonly string[], corpus: string, name: string): void {
  if (!corpora.includes(corpus)) throw corpusNotFound(corpus);
  if (corpus !== name && corpora.includes(name)) throw corpusExists(name);
}

/** The usage store alone: what `apex analyze` has (no app store, so no settings or audit log to keep in step). */
export function usageCorpusAdministration(usage: Pick<UsageQueries, "listCorpora" | "renameCorpus" | "deleteCorpus">): CorpusAdministration {
  return {
    async rename(owner, corpus, name) {
      checkRename((await usage.listCorpora(owner)).map((c) => c.corpus), corpus, name);
      return usage.renameCorpus(owner, corpus, name);
    },
    async delete(owner, corpus) {
      const deleted = await usage.deleteCorpus(owner, corpus);
      if (deleted === 0) throw corpusNotFound(corpus);
      return deleted;
    },
  };
}
