import type { CatalogEntry, CatalogPin, CatalogScopeName } from "./catalog.ts";
import type { WireError } from "./events.ts";
import type { IngestSummary } from "./ingest-summary.ts";
import type { OpportunityKindName, RoleName, TierName } from "./names.ts";

// Shapes of REST answers (and the values of their status fields) that the server builds and the web UI reads, defined
// once here (the UI imports only src/protocol/). Field names are snake_case like the rest of the wire. Times are ISO
// 8601 strings (UTC).

/** A session token (`POST /api/auth/login`, `POST /api/setup`). */
export interface IssuedToken {
  token: string;
  expires_at: string;
}

/** The signed-in account (`GET /api/me`), and the account a setup or an account creation made. */
export interface Me {
  id: string;
  email: string;
  role: RoleName;
  tier: TierName;
}

/** A conversation of one user. */
export interface Thread {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
}

/** One message of a thread; `id` orders them and is the paging cursor (`after`). */
export interface Message {
  id: number;
  /** `user` or `assistant` (the store's MessageRole). */
  role: string;
  content: string;
  /** The run the message started or reported on; null once that run is deleted. */
  run_id: string | null;
  created_at: string;
}

/** A run as `GET /api/runs/:run_id` and a thread's run list show it. */
export interface RunRow {
  id: string;
  thread_id: string;
  /** `queued`, `running`, `completed`, `failed` or `cancelled` (the store's RunStatus). */
  status: string;
  request: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  /** Why a failed run failed; null otherwise. */
  error: WireError | null;
}

/** First and last call of a set of records, and the days between them (fractional; 0 for a single instant). */
export interface UsagePeriod {
  from: string | null;
  to: string | null;
  days: number;
}

/** What `GET /api/usage/summary` says is loaded: all the caller's records, or one corpus's (`corpus`). */
export interface UsageSummary {
  /** The corpus asked for; null for all of them. */
  corpus: string | null;
  records: number;
  calls: number;
  /** Null when no record is priced. */
  cost_usd: number | null;
  unpriced_calls: number;
  period: UsagePeriod;
  /** Most expensive first; `model` is null for records that carry none. */
  models: { model: string | null; records: number; calls: number; cost_usd: number | null; unpriced_calls: number }[];
  corpora: CorpusListing[];
}

/** `POST /api/usage`: the upload's ingest summary, the corpus it went to and the bytes received. */
export interface UsageUpload extends IngestSummary {
  corpus: string;
  received_bytes: number;
}

/** `POST /api/usage/demo`: the demo data's ingest summary, its corpus, and the scenario and seed it was made with. */
export interface DemoLoad extends IngestSummary {
  corpus: string;
  scenario: string;
  seed: number;
}

/** An account as admins see it (never the password hash). */
export interface AdminUser {
  id: string;
  email: string;
  role: RoleName;
  tier: TierName;
  disabled: boolean;
  disabled_at: string | null;
  created_at: string;
  /** The last run started or API key used; null when the account has done neither. */
  last_activity_at: string | null;
}

/** What an admin may change on an account; absent fields stay as they are. */
export interface AccountChange {
  role?: RoleName;
  tier?: TierName;
  disabled?: boolean;
}

/** One quota as `GET /api/quotas` shows it. */
export interface QuotaStatus {
  /** Null when the tier has no limit. */
  limit: number | null;
  used: number;
  /** Null when the tier has no limit. */
  remaining: number | null;
  window_seconds: number;
  /** When the oldest use in the window ages out (room frees up); null when nothing is used. */
  resets_at: string | null;
}

/** A corpus (a named dataset of one user) in a listing. */
export interface CorpusSummary {
  corpus: string;
  records: number;
  calls: number;
  cost_usd: number | null;
  from: string | null;
  to: string | null;
}

/**
 * Whether a corpus holds all that was sent to it: `partial` when its last ingest stopped early (a corrupt or cut-off
 * file, the quota, a server that stopped) with only some records kept; `ingesting` while one is in progress.
 */
export const CorpusStatus = { COMPLETE: "complete", PARTIAL: "partial", INGESTING: "ingesting" } as const;
export type CorpusStatusName = (typeof CorpusStatus)[keyof typeof CorpusStatus];

/** A corpus's status; `partial` says what its last ingest kept and why it stopped (null unless partial). */
export interface CorpusIngestStatus {
  status: CorpusStatusName;
  partial: {
    /** Records that ingest added (duplicates of records already there are not counted). */
    records_kept: number;
    /** Why it stopped: the error code (`corrupt_file`, `quota_exceeded`, `interrupted` for a server that stopped…). */
    reason: string;
    /** When that ingest started. */
    at: string;
  } | null;
}

/** A corpus in `GET /api/corpora` and the usage summary: its totals and whether its last ingest completed. */
export interface CorpusListing extends CorpusSummary, CorpusIngestStatus {}

/** What a corpus holds for one model or one feature. */
export interface CorpusPart {
  /** The model or feature; null for records that carry none. */
  name: string | null;
  records: number;
  calls: number;
  cost_usd: number | null;
}

/** What an admin resets of an account's API keys; the new key's secret is in the answer once, never again. */
export interface ApiKeysReset {
  user_id: string;
  /** How many active keys were revoked. */
  revoked: number;
  /** The key issued in their place, when one was asked for (`new_key_name`). */
  api_key?: { id: string; name: string; prefix: string; created_at: string; secret: string };
}

/** One entry of the audit log; secrets are never in `params`. */
export interface AuditEntry {
  id: number;
  at: string;
  /** Null when the account no longer exists. */
  actor_id: string | null;
  actor_email: string;
  /** The server's audited action names (`user.update`, `catalog.rollback`, …). */
  action: string;
  target: string | null;
  /** `ok` or `denied` (the store's AuditOutcome). */
  outcome: string;
  params: Record<string, unknown>;
}

/** The filters of `GET /api/admin/audit` and its export (query parameters); absent ones do not filter. */
export interface AuditFilter {
  /** An account id or email. */
  actor?: string;
  action?: string;
  /** Entries at or after this time. */
  from?: string;
  /** Entries before this time. */
  to?: string;
}

/** A page of the audit log, newest first; pass `next_cursor` as `cursor` for the next one (null: no more). */
export interface AuditPage {
  entries: AuditEntry[];
  next_cursor: number | null;
}

/** `GET /api/quotas`: the caller's tier, its limits and what is used of them now. */
export interface QuotaReport {
  tier: TierName;
  runs_per_hour: QuotaStatus;
  records_per_day: QuotaStatus;
}

/** An entry of the effective supply catalog and the scope that put it there. */
export type EffectiveEntry = CatalogEntry & { source: CatalogScopeName };

/** `GET /api/catalog`: the caller's effective catalog and the versions it is made of. */
export interface EffectiveCatalog {
  catalog: CatalogPin;
  entries: EffectiveEntry[];
}

/** Which catalog a read or change means (query parameters): the global one, or one tenant's (`user_id`). */
export interface CatalogTarget {
  scope: CatalogScopeName;
  /** The tenant's account; a tenant read defaults to the caller's own. */
  user_id?: string;
}

/** One corpus in full: its totals, period, and what it holds per model and per feature (most expensive first). */
export interface CorpusDescription {
  corpus: string;
  records: number;
  calls: number;
  cost_usd: number | null;
  unpriced_calls: number;
  input_tokens: number;
  output_tokens: number;
  period: UsagePeriod;
  models: CorpusPart[];
  features: CorpusPart[];
}

/** A corpus as its REST routes answer it: the description, its ingest status and its own retention setting. */
export interface CorpusDetail extends CorpusDescription, CorpusIngestStatus {
  /** Days of records kept; null when the corpus follows the server's default. */
  retention_days: number | null;
}

/** Where a synthetic data job is: asked about, generating, or ended (REST `status`; stored in synthetic_jobs.status). */
export const SyntheticJobStatus = {
  PENDING_APPROVAL: "pending_approval",
  RUNNING: "running",
  COMPLETED: "completed",
  FAILED: "failed",
  DECLINED: "declined",
  EXPIRED: "expired",
} as const;
export type SyntheticJobStatusName = (typeof SyntheticJobStatus)[keyof typeof SyntheticJobStatus];

/** The workload profile a synthetic data job runs with (the tools' WorkloadProfile, as the wire carries it). */
export interface SyntheticProfile {
  records: number;
  /** The generator's scenario: `saas`, `devtools` or `clean`. */
  scenario: string;
  /** The waste kinds planted; null = the scenario's own mix, [] = none. */
  waste: OpportunityKindName[] | null;
  days: number;
  /** The dataset the records land in. */
  corpus: string;
  seed: number;
  /** The user asked to confirm before it runs, whatever its size. */
  confirm: boolean;
}

/** A synthetic data job as REST and the job tool show it; `records_done` follows along as it generates. */
export interface SyntheticJob {
  job_id: string;
  run_id: string | null;
  status: SyntheticJobStatusName;
  profile: SyntheticProfile;
  records_total: number;
  records_done: number;
  corpus: string;
  /** Why a failed job failed; null otherwise. */
  error: WireError | null;
  created_at: string;
  finished_at: string | null;
}
