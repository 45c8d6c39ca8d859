import type { RoleName, TierName } from "./names.ts";

// Shapes of REST answers that the server builds and the web UI reads, defined once here (the UI imports only
// src/protocol/). Field names are snake_case like the rest of the wire.

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

/** What a corpus holds for one model or one feature. */
export interface CorpusPart {
  /** The model or feature; null for records that carry none. */
  name: string | null;
  records: number;
  calls: number;
  cost_usd: number | null;
}
