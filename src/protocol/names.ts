// The one index of named values: event types, client commands, control frames, error codes, env vars, route paths,
// agent names and opportunity kinds. Every other file imports them from here; string literals elsewhere are a lint error.

export const PROTOCOL_VERSION = 1 as const;
export const WS_SUBPROTOCOL = "apex.v1" as const;
export const WS_BEARER_PREFIX = "bearer." as const;

export const EventType = {
  RUN_STARTED: "run_started",
  AGENT_STARTED: "agent_started",
  AGENT_THINKING: "agent_thinking",
  TOOL_EXECUTING: "tool_executing",
  TOOL_COMPLETED: "tool_completed",
  AGENT_COMPLETED: "agent_completed",
  AGENT_ERROR: "agent_error",
  PARTIAL_RESULT: "partial_result",
  FINAL_REPORT: "final_report",
  AWAITING_INPUT: "awaiting_input",
  RUN_COMPLETED: "run_completed",
  RUN_FAILED: "run_failed",
  RUN_CANCELLED: "run_cancelled",
} as const;
export type EventTypeName = (typeof EventType)[keyof typeof EventType];

/** The five events every agent that runs must produce (agent_error may stand in for agent_completed). */
export const MISSION_CRITICAL_EVENTS = [
  EventType.AGENT_STARTED,
  EventType.AGENT_THINKING,
  EventType.TOOL_EXECUTING,
  EventType.TOOL_COMPLETED,
  EventType.AGENT_COMPLETED,
] as const;

export const TERMINAL_EVENTS: readonly EventTypeName[] = [
  EventType.RUN_COMPLETED,
  EventType.RUN_FAILED,
  EventType.RUN_CANCELLED,
];

/** Events that are not needed to follow a run; dropped when the engine runs in `critical` event mode. */
export const OPTIONAL_EVENTS: readonly EventTypeName[] = [EventType.PARTIAL_RESULT];

export const ClientCommand = {
  USER_MESSAGE: "user_message",
  SUBSCRIBE: "subscribe",
  UNSUBSCRIBE: "unsubscribe",
  CANCEL_RUN: "cancel_run",
  RESPOND: "respond",
  PING: "ping",
} as const;
export type ClientCommandName = (typeof ClientCommand)[keyof typeof ClientCommand];

export const ControlFrame = {
  WELCOME: "welcome",
  ACK: "ack",
  ERROR: "error",
  PONG: "pong",
  REPLAY_COMPLETE: "replay_complete",
  RESYNC_REQUIRED: "resync_required",
  /** A run waits in this node's admission queue: its place in line (docs/protocol.md). */
  RUN_QUEUED: "run_queued",
} as const;
export type ControlFrameName = (typeof ControlFrame)[keyof typeof ControlFrame];

/** Error codes: every error a user (or an operator) can cause has one. Messages say what to do. */
export const ErrorCode = {
  // request and identity
  INVALID_CONTEXT: "invalid_context",
  INVALID_REQUEST: "invalid_request",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  RATE_LIMITED: "rate_limited",
  QUOTA_EXCEEDED: "quota_exceeded",
  LAST_ADMIN: "last_admin",
  TOO_MANY_RUNS: "too_many_runs",
  /** The node's queue of runs waiting to start is full. */
  SERVER_BUSY: "server_busy",
  EMAIL_TAKEN: "email_taken",
  WEAK_PASSWORD: "weak_password",
  THREAD_BUSY: "thread_busy",
  UPLOAD_TOO_LARGE: "upload_too_large",
  UPLOAD_TOO_SLOW: "upload_too_slow",
  CORPUS_EXISTS: "corpus_exists",
  // wire protocol
  INVALID_JSON: "invalid_json",
  FRAME_TOO_LARGE: "frame_too_large",
  UNKNOWN_COMMAND: "unknown_command",
  INVALID_COMMAND: "invalid_command",
  // runtime
  NOT_SERIALIZABLE: "not_serializable",
  INVALID_EVENT: "invalid_event",
  EMITTER_CLOSED: "emitter_closed",
  EVENT_SINK_FAILED: "event_sink_failed",
  DUPLICATE_KEY: "duplicate_key",
  REGISTRY_FROZEN: "registry_frozen",
  UNKNOWN_KEY: "unknown_key",
  UNKNOWN_AGENT: "unknown_agent",
  TOOL_NOT_FOUND: "tool_not_found",
  INVALID_PARAMETERS: "invalid_parameters",
  TOOL_FAILED: "tool_failed",
  TOOL_TIMEOUT: "tool_timeout",
  AGENT_FAILED: "agent_failed",
  AGENT_TIMEOUT: "agent_timeout",
  AGENT_ENDED: "agent_ended",
  CANCELLED: "cancelled",
  INTERRUPTED: "interrupted",
  // human in the loop (awaiting_input / respond)
  INTERRUPT_EXPIRED: "interrupt_expired",
  INTERRUPT_ANSWERED: "interrupt_answered",
  INPUT_UNAVAILABLE: "input_unavailable",
  // data
  INVALID_RECORD: "invalid_record",
  UNKNOWN_FORMAT: "unknown_format",
  MIXED_FORMATS: "mixed_formats",
  FILE_NOT_FOUND: "file_not_found",
  CORRUPT_FILE: "corrupt_file",
  NO_USAGE_DATA: "no_usage_data",
  /** A file given up early: almost every entry read so far was rejected. */
  TOO_MANY_REJECTIONS: "too_many_rejections",
  /** An ingest job ran past its time bound (APEX_INGEST_TIMEOUT_MS). */
  INGEST_TIMEOUT: "ingest_timeout",
  UNPRICED_MODEL: "unpriced_model",
  // configuration and services
  INVALID_CONFIG: "invalid_config",
  DATABASE_UNAVAILABLE: "database_unavailable",
  BUS_UNAVAILABLE: "bus_unavailable",
  LLM_UNAVAILABLE: "llm_unavailable",
  LLM_TIMEOUT: "llm_timeout",
  LLM_INVALID_REPLY: "llm_invalid_reply",
  INTERNAL: "internal",
  SHUTTING_DOWN: "shutting_down",
} as const;
export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode];

export const EnvVar = {
  DATABASE_URL: "DATABASE_URL",
  REDIS_URL: "REDIS_URL",
  DATA_DIR: "APEX_DATA_DIR",
  HOST: "APEX_HOST",
  PORT: "APEX_PORT",
  LOG_LEVEL: "APEX_LOG_LEVEL",
  JWT_SECRET: "APEX_JWT_SECRET",
  ADMIN_EMAIL: "APEX_ADMIN_EMAIL",
  ADMIN_PASSWORD: "APEX_ADMIN_PASSWORD",
  MAX_CONCURRENT_RUNS: "APEX_MAX_CONCURRENT_RUNS",
  MAX_RUNS_IN_FLIGHT: "APEX_MAX_RUNS_IN_FLIGHT",
  MAX_QUEUED_RUNS: "APEX_MAX_QUEUED_RUNS",
  USAGE_POOL_SIZE: "APEX_USAGE_POOL_SIZE",
  USAGE_MEMORY_LIMIT_MB: "APEX_USAGE_MEMORY_LIMIT_MB",
  LLM_PROVIDER: "APEX_LLM_PROVIDER",
  LLM_BASE_URL: "APEX_LLM_BASE_URL",
  LLM_API_KEY: "APEX_LLM_API_KEY",
  LLM_MODEL: "APEX_LLM_MODEL",
  PRICES_FILE: "APEX_PRICES_FILE",
  TOKEN_TTL_SECONDS: "APEX_TOKEN_TTL_SECONDS",
  FRAME_LIMIT_BYTES: "APEX_FRAME_LIMIT_BYTES",
  HEARTBEAT_MS: "APEX_HEARTBEAT_MS",
  SOCKET_BYTE_BUDGET: "APEX_SOCKET_BYTE_BUDGET",
  RATE_LIMIT_PER_MINUTE: "APEX_RATE_LIMIT_PER_MINUTE",
  UPLOAD_LIMIT_BYTES: "APEX_UPLOAD_LIMIT_BYTES",
  MAX_CONCURRENT_UPLOADS: "APEX_MAX_CONCURRENT_UPLOADS",
  UPLOAD_INFLATED_LIMIT_BYTES: "APEX_UPLOAD_INFLATED_LIMIT_BYTES",
  INGEST_MAX_LINE_BYTES: "APEX_INGEST_MAX_LINE_BYTES",
  INGEST_TIMEOUT_MS: "APEX_INGEST_TIMEOUT_MS",
  NODE_ID: "APEX_NODE_ID",
  LEASE_MS: "APEX_LEASE_MS",
  LEASE_RENEW_MS: "APEX_LEASE_RENEW_MS",
  SWEEP_MS: "APEX_SWEEP_MS",
  SHUTDOWN_DEADLINE_MS: "APEX_SHUTDOWN_DEADLINE_MS",
  WEB_DIR: "APEX_WEB_DIR",
  APPROVAL_TTL_MS: "APEX_APPROVAL_TTL_MS",
  DATABASE_RETRY_MS: "APEX_DATABASE_RETRY_MS",
  QUOTA_FREE_RUNS_PER_HOUR: "APEX_QUOTA_FREE_RUNS_PER_HOUR",
  QUOTA_FREE_RECORDS_PER_DAY: "APEX_QUOTA_FREE_RECORDS_PER_DAY",
  QUOTA_PRO_RUNS_PER_HOUR: "APEX_QUOTA_PRO_RUNS_PER_HOUR",
  QUOTA_PRO_RECORDS_PER_DAY: "APEX_QUOTA_PRO_RECORDS_PER_DAY",
  QUOTA_ENTERPRISE_RUNS_PER_HOUR: "APEX_QUOTA_ENTERPRISE_RUNS_PER_HOUR",
  QUOTA_ENTERPRISE_RECORDS_PER_DAY: "APEX_QUOTA_ENTERPRISE_RECORDS_PER_DAY",
  RUN_RETENTION_DAYS: "APEX_RUN_RETENTION_DAYS",
  USAGE_RETENTION_DAYS: "APEX_USAGE_RETENTION_DAYS",
  RETENTION_INTERVAL_MS: "APEX_RETENTION_INTERVAL_MS",
  REQUEST_TIMEOUT_MS: "APEX_REQUEST_TIMEOUT_MS",
  HEADERS_TIMEOUT_MS: "APEX_HEADERS_TIMEOUT_MS",
  CONNECTION_TIMEOUT_MS: "APEX_CONNECTION_TIMEOUT_MS",
  UPLOAD_MIN_RATE_BYTES: "APEX_UPLOAD_MIN_RATE_BYTES",
  UPLOAD_RATE_WINDOW_MS: "APEX_UPLOAD_RATE_WINDOW_MS",
  HSTS_MAX_AGE_SECONDS: "APEX_HSTS_MAX_AGE_SECONDS",
  MAX_SOCKETS_PER_USER: "APEX_MAX_SOCKETS_PER_USER",
  TRUST_PROXY: "APEX_TRUST_PROXY",
} as const;
export type EnvVarName = (typeof EnvVar)[keyof typeof EnvVar];

export const RoutePath = {
  WS: "/ws",
  HEALTH: "/health",
  READY: "/ready",
  METRICS: "/metrics",
  AUTH_LOGIN: "/api/auth/login",
  SETUP: "/api/setup",
  THREADS: "/api/threads",
  RUN_EVENTS: "/api/runs/:run_id/events",
  THREAD: "/api/threads/:thread_id",
  THREAD_MESSAGES: "/api/threads/:thread_id/messages",
  THREAD_RUNS: "/api/threads/:thread_id/runs",
  RUN: "/api/runs/:run_id",
  USAGE: "/api/usage",
  USAGE_SUMMARY: "/api/usage/summary",
  USAGE_DEMO: "/api/usage/demo",
  USERS: "/api/users",
  ME: "/api/me",
  AGUI: "/agui",
  AGUI_RUN: "/agui/runs/:run_id",
  // administration (admin role): accounts, the audit log
  ADMIN_USERS: "/api/admin/users",
  ADMIN_USER: "/api/admin/users/:user_id",
  ADMIN_USER_API_KEYS: "/api/admin/users/:user_id/api-keys",
  AUDIT: "/api/admin/audit",
  AUDIT_EXPORT: "/api/admin/audit/export",
  // the supply catalog (read: everyone; change: admin)
  CATALOG: "/api/catalog",
  CATALOG_VERSIONS: "/api/catalog/versions",
  CATALOG_VERSION: "/api/catalog/versions/:version",
  CATALOG_DIFF: "/api/catalog/diff",
  CATALOG_ROLLBACK: "/api/catalog/rollback",
  CATALOG_MODEL: "/api/catalog/models/:model",
  /** Runs the analysis of an earlier run again, priced with the catalog versions its report recorded (or others). */
  RUN_REPRODUCE: "/api/runs/:run_id/reproduce",
  // a user's workload corpora and synthetic data jobs
  CORPORA: "/api/corpora",
  CORPUS: "/api/corpora/:corpus",
  CORPUS_EXPORT: "/api/corpora/:corpus/export",
  SYNTHETIC_JOBS: "/api/synthetic-jobs",
  SYNTHETIC_JOB: "/api/synthetic-jobs/:job_id",
  QUOTAS: "/api/quotas",
} as const;
export type RoutePathName = (typeof RoutePath)[keyof typeof RoutePath];

export const AgentName = {
  TRIAGE: "triage",
  DATA: "data",
  OPTIMIZE: "optimize",
  ACTIONS: "actions",
  REPORT: "report",
  DATA_GUIDE: "data_guide",
  CORPUS_ADMIN: "corpus_admin",
  SYNTHETIC_DATA: "synthetic_data",
} as const;
export type AgentNameValue = (typeof AgentName)[keyof typeof AgentName];

/**
 * The canonical pipeline order (protocol invariant 2); a run's pipeline is a subsequence of it. The Data Guide runs
 * instead of Data/Optimize/Actions when the user has no usage data (each side skips itself). Synthetic Data runs only
 * for a request to generate a dataset, Corpus Admin for one to describe, rename or delete a dataset; every agent after
 * them then skips itself.
 */
export const PIPELINE: readonly AgentNameValue[] = [
  AgentName.TRIAGE,
  AgentName.SYNTHETIC_DATA,
  AgentName.CORPUS_ADMIN,
  AgentName.DATA_GUIDE,
  AgentName.DATA,
  AgentName.OPTIMIZE,
  AgentName.ACTIONS,
  AgentName.REPORT,
];

/** Tools of the one dispatcher: the data queries, one analysis per opportunity kind. */
export const ToolName = {
  USAGE_TOTALS: "usage_totals",
  USAGE_BREAKDOWN: "usage_breakdown",
  USAGE_PERCENTILES: "usage_percentiles",
  UNPRICED_MODELS: "unpriced_models",
  LIST_CORPORA: "list_corpora",
  DESCRIBE_CORPUS: "describe_corpus",
  RENAME_CORPUS: "rename_corpus",
  DELETE_CORPUS: "delete_corpus",
  PLAN_SYNTHETIC_JOB: "plan_synthetic_job",
  FIND_MODEL_RIGHTSIZING: "find_model_rightsizing",
  FIND_PROMPT_CACHING: "find_prompt_caching",
  FIND_RESPONSE_CACHING: "find_response_caching",
  FIND_BATCH_API: "find_batch_api",
  FIND_PRIORITY_TIER: "find_priority_tier",
  FIND_OUTPUT_TRUNCATION: "find_output_truncation",
  FIND_RETRY_WASTE: "find_retry_waste",
  FIND_CONTEXT_BLOAT: "find_context_bloat",
  CATALOG_LOOKUP: "catalog_lookup",
  CATALOG_UPDATE: "catalog_update",
  LIST_USERS: "list_users",
  UPDATE_USER: "update_user",
  RESET_API_KEYS: "reset_api_keys",
} as const;
export type ToolNameValue = (typeof ToolName)[keyof typeof ToolName];

export const Role = { USER: "user", ADMIN: "admin" } as const;
export type RoleName = (typeof Role)[keyof typeof Role];

export const Tier = { FREE: "free", PRO: "pro", ENTERPRISE: "enterprise" } as const;
export type TierName = (typeof Tier)[keyof typeof Tier];

export const EventMode = { FULL: "full", CRITICAL: "critical" } as const;
export type EventModeName = (typeof EventMode)[keyof typeof EventMode];

export const OpportunityKind = {
  MODEL_RIGHTSIZING: "model_rightsizing",
  PROMPT_CACHING: "prompt_caching",
  RESPONSE_CACHING: "response_caching",
  BATCH_API: "batch_api",
  PRIORITY_TIER: "priority_tier",
  OUTPUT_TRUNCATION: "output_truncation",
  RETRY_WASTE: "retry_waste",
  CONTEXT_BLOAT: "context_bloat",
} as const;
export type OpportunityKindName = (typeof OpportunityKind)[keyof typeof OpportunityKind];

/** The kinds of question an agent asks with `awaiting_input`, and the decisions of an approval. */
export const InterruptKind = { APPROVAL: "approval" } as const;
export type InterruptKindName = (typeof InterruptKind)[keyof typeof InterruptKind];
export const Decision = { APPROVE: "approve", MODIFY: "modify", DECLINE: "decline" } as const;
export type DecisionName = (typeof Decision)[keyof typeof Decision];

/** Who cancelled a run, as carried by `run_cancelled.by`. */
export const CancelledBy = { USER: "user", SERVER: "server" } as const;
export type CancelledByName = (typeof CancelledBy)[keyof typeof CancelledBy];

/** The categories of this index, as `apex literals stats` counts them. */
export const NAMED_VALUE_CATEGORIES = {
  event_type: EventType,
  client_command: ClientCommand,
  control_frame: ControlFrame,
  error_code: ErrorCode,
  env_var: EnvVar,
  route_path: RoutePath,
  agent_name: AgentName,
  tool_name: ToolName,
  role: Role,
  tier: Tier,
  event_mode: EventMode,
  opportunity_kind: OpportunityKind,
  cancelled_by: CancelledBy,
  interrupt_kind: InterruptKind,
  decision: Decision,
} as const;
