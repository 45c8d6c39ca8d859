import type { UsageQueries } from "../analytics/store.ts";
import type { CorpusRetentionRepository } from "../store/corpus-retention.ts";

// Retention of usage data, corpus by corpus: each corpus keeps its owner's setting, or the server's default, in days
// of record time; older records are deleted. Only called from the retention pass, under its lock.

const MS_PER_DAY = 86_400_000;

export interface UsagePruning {
  corpora: number;
  records: number;
}

export async function pruneUsage(
  usage: Pick<UsageQueries, "allCorpora" | "deleteRecordsBefore">,
  settings: Pick<CorpusRetentionRepository, "all">,
  defaultDays: number,
  now: number,
): Promise<UsagePruning> {
  const own = new Map((await settings.all()).map((s) => [`${s.ownerId}\u0000${s.corpus}`, s.days]));
  const done: UsagePruning = { corpora: 0, records: 0 };
  for (const { owner, corpus } of await usage.allCorpora()) {
    const days = own.get(`${owner}\u0000${corpus}`) ?? defaultDays;
    if (days === 0) continue;
    const deleted = await usage.deleteRecordsBefore(owner, corpus, new Date(now - days * MS_PER_DAY));
    if (deleted > 0) {
      done.corpora += 1;
      done.records += deleted;
    }
  }
  return done;
}
