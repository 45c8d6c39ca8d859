// The names of audited actions, in one place: every admin action, catalog change and refused attempt is recorded in
// the audit log under one of these (an admin filters the log by them). They are server-side names, not wire values.

export const AuditAction = {
  USER_UPDATE: "user.update",
  USER_DISABLE: "user.disable",
  USER_ENABLE: "user.enable",
  USER_API_KEYS_RESET: "user.api_keys.reset",
  /** Reads of the admin pages: audited when refused (a non-admin tried), not each time an admin looks. */
  USER_LIST: "user.list",
  AUDIT_QUERY: "audit.query",
  AUDIT_EXPORT: "audit.export",
  CATALOG_UPDATE: "catalog.update",
  CATALOG_ROLLBACK: "catalog.rollback",
  /** Reading another tenant's catalog: audited when refused. */
  CATALOG_READ: "catalog.read",
  CORPUS_DELETE: "corpus.delete",
  CORPUS_RENAME: "corpus.rename",
  CORPUS_RETENTION: "corpus.retention",
  SYNTHETIC_JOB_APPROVE: "synthetic_job.approve",
  /** A tool call the dispatcher refused for the caller's role; the target is the tool's name. */
  TOOL_CALL: "tool.call",
  /** Sign-ins to an account, or from an address, blocked after repeated failures: one entry per episode. */
  LOGIN_THROTTLED: "auth.login_throttled",
  /** Denied attempts by one user past the per-minute budget: one entry says how many more were not recorded. */
  DENIED_SUPPRESSED: "audit.denied_suppressed",
} as const;
export type AuditActionName = (typeof AuditAction)[keyof typeof AuditAction];
