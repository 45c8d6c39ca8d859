import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Tier, type TierName } from "../protocol/names.ts";
import type { StoreDb } from "../store/database.ts";
import { QuotaUsageRepository, type WindowUse } from "../store/quota-usage.ts";
import { UserRepository } from "../store/users.ts";
import type { ServerConfig } from "./config.ts";
import type { QuotaReport, QuotaStatus } from "../protocol/rest.ts";

// Per-tier quotas over sliding windows: runs started in the last hour (checked before a run is stored) and records
// ingested in the last 24 hours (checked before an ingest reads anything; the ingest that crosses the limit completes,
// since a file's record count is known only once read). A refusal says which quota, its limit and when room frees up.

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

function refuseWhenSpent({ name, limit, windowMs, uses, tier }: Quota): void {
  const used = uses.reduce((sum, use) => sum + use.amount, 0);
  if (limit === 0 || used < limit) return;
  const resetsAt = freesUpAt(uses, limit, windowMs);
  const minutes = Math.max(1, Math.ceil((resetsAt.getTime() - Date.now()) / MINUTE_MS));
  throw new ApexError(
    ErrorCode.QUOTA_EXCEEDED,
    `You have used your quota of ${limit} ${name} (${tier} tier, ${used} used); it resets at ${resetsAt.toISOString()} (in ${minutes} minute${minutes === 1 ? "" : "s"}). Try again then, or ask an admin for a higher tier.`,
    { retryable: true, details: { quota: name, limit, used, resets_at: resetsAt.toISOString() } },
  );
}

export class Quotas {
  readonly #table: QuotaTable;
  readonly #usage: QuotaUsageRepository;
  readonly #users: UserRepository;

  constructor(db: StoreDb, table: QuotaTable) {
    this.#table = table;
    this.#usage = new QuotaUsageRepository(db);
    this.#users = new UserRepository(db);
  }

  /** Throws `quota_exceeded` when the user has started their tier's runs per hour already. */
  async checkRuns(user: { id: string; tier: TierName }): Promise<void> {
    const limit = this.#table[user.tier].runsPerHour;
    if (limit === 0) return;
    refuseWhenSpent({ name: "runs per hour", limit, windowMs: HOUR_MS, uses: await this.#usage.runsWithin(user.id, HOUR_MS), tier: user.tier });
  }

  /** Throws `quota_exceeded` when the owner has ingested their tier's records per day already. */
  async checkIngest(ownerId: string): Promise<void> {
    const tier = (await this.#users.findById(ownerId))?.tier ?? Tier.FREE;
    const limit = this.#table[tier].recordsPerDay;
    if (limit === 0) return;
    refuseWhenSpent({ name: "records ingested per day", limit, windowMs: DAY_MS, uses: await this.#usage.ingestsWithin(ownerId, DAY_MS), tier });
  }

  recordIngest(ownerId: string, corpus: string, records: number): Promise<void> {
    return this.#usage.recordIngest(ownerId, corpus, records);
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
