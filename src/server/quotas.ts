import { randomUUID } from "node:crypto";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Tier, type TierName } from "../protocol/names.ts";
import type { StoreDb } from "../store/database.ts";
import { IngestLogRepository } from "../store/ingest-log.ts";
import { QuotaUsageRepository, type WindowUse } from "../store/quota-usage.ts";
import { UserRepository } from "../store/users.ts";
import type { ServerConfig } from "./config.ts";
import type { QuotaReport, QuotaStatus } from "../protocol/rest.ts";
import { IngestCharge } from "./ingest-charge.ts";

// Per-tier quotas over sliding windows: runs started in the last hour (checked before a run is stored) and records
// ingested in the last 24 hours (checked before an ingest reads anything, then reserved batch by batch before each
// write, so an ingest stops where the quota runs out, parallel ones included: ingest-charge.ts). A refusal says which
// quota, its limit, what was kept and when room frees up.

/** The limits of one tier; 0 means no limit. */
export interface TierQuota {
  runsPerHour: number;
  recordsPerDay: number;
}
export type QuotaTable = Readonly<Record<TierName, TierQuota>>;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const MINUTE_MS = 60_000;

export function quotaTable(config: Pick<ServerConfig, Extract<keyof ServerConfig, `quota${string}`>>): QuotaTable {
  return {
    [Tier.FREE]: { runsPerHour: config.quotaFreeRunsPerHour, recordsPerDay: config.quotaFreeRecordsPerDay },
    [Tier.PRO]: { runsPerHour: config.quotaProRunsPerHour, recordsPerDay: config.quotaProRecordsPerDay },
    [Tier.ENTERPRISE]: { runsPerHour: config.quotaEnterpriseRunsPerHour, recordsPerDay: config.quotaEnterpriseRecordsPerDay },
  };
}

/** The moment enough of the oldest uses have aged out of the window to bring the total under `limit`. */
function freesUpAt(uses: readonly WindowUse[], limit: number, windowMs: number): Date {
  let used = uses.reduce((sum, use) => sum + use.amount, 0);
  for (const use of uses) {
    used -= use.amount;
    if (used < limit) return new Date(use.at.getTime() + windowMs);
  }
  return new Date(Date.now() + windowMs);
}

function status(uses: readonly WindowUse[], limit: number, windowMs: number): QuotaStatus {
  const used = uses.reduce((sum, use) => sum + use.amount, 0);
  const oldest = uses[0];
  return {
    limit: limit === 0 ? null : limit,
    used,
    remaining: limit === 0 ? null : Math.max(0, limit - used),
    window_seconds: windowMs / 1000,
    resets_at: oldest === undefined ? null : new Date(oldest.at.getTime() + windowMs).toISOString(),
  };
}

interface Quota {
  name: string;
  limit: number;
  windowMs: number;
  uses: readonly WindowUse[];
  tier: TierName;
}

/** The refusal of a spent quota; `kept` says what an ingest stopped by it kept (in which corpus) before it did. */
function spentError({ name, limit, windowMs, uses, tier }: Quota, kept?: { corpus: string; records: number }): ApexError {
  const used = uses.reduce((sum, use) => sum + use.amount, 0);
  const resetsAt = freesUpAt(uses, limit, windowMs);
  const minutes = Math.max(1, Math.ceil((resetsAt.getTime() - Date.now()) / MINUTE_MS));
  const resets = `resets at ${resetsAt.toISOString()} (in ${minutes} minute${minutes === 1 ? "" : "s"})`;
  const details = { quota: name, limit, used, resets_at: resetsAt.toISOString() };
  const spent = `You have used your quota of ${limit} ${name} (${tier} tier, ${used} used)`;
  if (kept === undefined) {
    return new ApexError(ErrorCode.QUOTA_EXCEEDED, `${spent}; it ${resets}. Try again then, or ask an admin for a higher tier.`, { retryable: true, details });
  }
  const what = kept.records === 0 ? "nothing of this upload was kept" : `${kept.records} records of this upload were kept in dataset "${kept.corpus}", now marked partial`;
  return new ApexError(
    ErrorCode.QUOTA_EXCEEDED,
    `${spent}; ${what}. It ${resets}: upload the same file again then to add the rest (records already kept are skipped), or ask an admin for a higher tier.`,
    { retryable: true, details: { ...details, corpus: kept.corpus, records_kept: kept.records } },
  );
}

function refuseWhenSpent(quota: Quota): void {
  const used = quota.uses.reduce((sum, use) => sum + use.amount, 0);
  if (quota.limit !== 0 && used >= quota.limit) throw spentError(quota);
}

/** Which node runs this process's ingests and how long their lease lasts without renewal (the run leases' settings). */
export interface IngestLease {
  nodeId: string;
  leaseMs: number;
  renewMs: number;
}

const INGEST_QUOTA = "records ingested per day";

export class Quotas {
  readonly #table: QuotaTable;
  readonly #usage: QuotaUsageRepository;
  readonly #users: UserRepository;
  readonly #ingests: IngestLogRepository;
  readonly #lease: IngestLease;

  constructor(db: StoreDb, table: QuotaTable, lease: IngestLease = { nodeId: randomUUID(), leaseMs: 15_000, renewMs: 5_000 }) {
    this.#table = table;
    this.#usage = new QuotaUsageRepository(db);
    this.#users = new UserRepository(db);
    this.#ingests = new IngestLogRepository(db);
    this.#lease = lease;
  }

  /** Throws `quota_exceeded` when the user has started their tier's runs per hour already. */
  async checkRuns(user: { id: string; tier: TierName }): Promise<void> {
    const limit = this.#table[user.tier].runsPerHour;
    if (limit === 0) return;
    refuseWhenSpent({ name: "runs per hour", limit, windowMs: HOUR_MS, uses: await this.#usage.runsWithin(user.id, HOUR_MS), tier: user.tier });
  }

  /**
   * Starts an ingest into the owner's `corpus`, recorded as running on this node: throws `quota_exceeded` when the
   * owner has ingested their tier's records per day already, else the charge its batches reserve their records from.
   */
  async openIngest(ownerId: string, corpus: string): Promise<IngestCharge> {
    const tier = (await this.#users.findById(ownerId))?.tier ?? Tier.FREE;
    const limit = this.#table[tier].recordsPerDay;
    const quota = (uses: readonly WindowUse[]): Quota => ({ name: INGEST_QUOTA, limit, windowMs: DAY_MS, uses, tier });
    if (limit !== 0) refuseWhenSpent(quota(await this.#usage.ingestsWithin(ownerId, DAY_MS)));
    const { nodeId, leaseMs, renewMs } = this.#lease;
    const id = await this.#ingests.begin({ ownerId, corpus, nodeId, leaseMs });
    return new IngestCharge({
      log: this.#ingests,
      id,
      ownerId,
      corpus,
      limit,
      windowMs: DAY_MS,
      nodeId,
      leaseMs,
      renewMs,
      spent: (uses, records) => spentError(quota(uses), { corpus, records }),
    });
  }

  /** The user's limits and what is used of them now. */
  async report(user: { id: string; tier: TierName }): Promise<QuotaReport> {
    const limits = this.#table[user.tier];
    return {
      tier: user.tier,
      runs_per_hour: status(await this.#usage.runsWithin(user.id, HOUR_MS), limits.runsPerHour, HOUR_MS),
      records_per_day: status(await this.#usage.ingestsWithin(user.id, DAY_MS), limits.recordsPerDay, DAY_MS),
    };
  }
}
