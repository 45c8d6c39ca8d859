import type { UsageStore } from "../analytics/store.ts";
import type { CorpusIngestStatus } from "../protocol/rest.ts";
import type { CorpusRetentionRepository } from "../store/corpus-retention.ts";
import type { IngestLogRepository } from "../store/ingest-log.ts";
import { usageCorpusAdministration, type CorpusAdministration } from "../tools/corpus-administration.ts";
import { AuditAction } from "./audit-actions.ts";
import type { AuditTrail } from "./audit-trail.ts";
import { corpusStatus } from "./corpus-status.ts";

// Renaming and deleting a user's corpus on a server, for the REST routes and the chat tools alike: the usage rows,
// then the corpus's own retention setting (moved with a rename, dropped with a delete so a new corpus of the same name
// does not inherit it), and its ingest status likewise, then the audit log. Chat reads a corpus's status here too.

export interface CorpusServiceOptions {
  usage: Pick<UsageStore, "listCorpora" | "renameCorpus" | "deleteCorpus">;
  retention: Pick<CorpusRetentionRepository, "set" | "rename">;
  audit: Pick<AuditTrail, "recordFor">;
  ingests: Pick<IngestLogRepository, "renameCorpus" | "forgetCorpus" | "latestByCorpus">;
}

export class CorpusService implements CorpusAdministration {
  readonly #records: CorpusAdministration;
  readonly #options: CorpusServiceOptions;

  constructor(options: CorpusServiceOptions) {
    this.#records = usageCorpusAdministration(options.usage);
    this.#options = options;
  }

  async rename(owner: string, corpus: string, name: string): Promise<number> {
    const records = await this.#records.rename(owner, corpus, name);
    if (name !== corpus) {
      await this.#options.retention.rename(owner, corpus, name);
      await this.#options.ingests.renameCorpus(owner, corpus, name);
      await this.#options.audit.recordFor(owner, { action: AuditAction.CORPUS_RENAME, target: corpus, params: { name, records } });
    }
    return records;
  }

  async delete(owner: string, corpus: string): Promise<number> {
    const deleted = await this.#records.delete(owner, corpus);
    await this.#options.retention.set(owner, corpus, null);
    await this.#options.ingests.forgetCorpus(owner, corpus);
    await this.#options.audit.recordFor(owner, { action: AuditAction.CORPUS_DELETE, target: corpus, params: { deleted_records: deleted } });
    return deleted;
  }

  async statuses(owner: string, corpus?: string): Promise<ReadonlyMap<string, CorpusIngestStatus>> {
    const latest = await this.#options.ingests.latestByCorpus(owner, corpus);
    return new Map([...latest].map(([name, row]) => [name, corpusStatus(row)]));
  }
}
