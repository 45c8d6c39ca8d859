import { randomBytes, randomUUID } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { DEFAULT_USAGE_MEMORY_LIMIT_MB, DEFAULT_USAGE_POOL_SIZE } from "../analytics/open-usage-store.ts";
import { LLM_FIELD_ENV, LlmConfigSchema, llmConfigFromEnv, type LlmConfig } from "../llm/config.ts";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode, type EnvVarName } from "../protocol/names.ts";
import { passwordProblem } from "./password-policy.ts";

// The server's configuration: one schema over env variables and command-line flags (flags win), validated at start-up
// with errors that name the variable to fix. The JWT secret comes from the env or is generated once into the data dir.

const MIN_SECRET_CHARS = 32;
/**
 * Entropy of a secret estimated from its own characters (length × the Shannon entropy of their frequencies): 0 bits
 * for 32×"a", ~115 for `openssl rand -hex 16`, ~380 for the generated one. Below the floor anyone can forge tokens, so
 * the server refuses to start; below the warning it starts and says so (logs and `apex doctor`).
 */
const SECRET_MIN_BITS = 64;
const SECRET_WARN_BITS = 100;
/** Fewer distinct characters than this is a pattern ("abab…", "password" repeated), whatever its length. */
const SECRET_MIN_DISTINCT = 8;
const SECRET_FILE = "jwt-secret";
/** Where the embedded databases live unless APEX_DATA_DIR or --data-dir says otherwise (the CLI uses it too). */
export const DEFAULT_DATA_DIR = ".apex";
/** The web UI's build (`npm run build:web`), found from the package root so the server can start from any directory. */
const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../dist/web", import.meta.url));

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalText = z.string().trim().optional().transform((v) => (v === "" ? undefined : v));

const ServerConfigSchema = z.object({
  port: int(0, 65_535).default(3000),
  host: z.string().trim().min(1).default("127.0.0.1"),
  dataDir: z.string().trim().min(1).default(DEFAULT_DATA_DIR),
  databaseUrl: optionalText,
  redisUrl: optionalText,
  jwtSecret: z
    .string()
    .min(MIN_SECRET_CHARS)
    .refine((secret) => secretBits(secret) >= SECRET_MIN_BITS && new Set(secret).size >= SECRET_MIN_DISTINCT, {
      message: `too guessable to sign tokens with (anyone could forge an admin's); set it to a random string, e.g. \`openssl rand -base64 48\``,
    })
    .optional(),
  tokenTtlSeconds: int(60, 30 * 86_400).default(12 * 3600),
  maxConcurrentRuns: int(1, 1000).default(2),
  // The node's run queue: runs executing at once (0: every run at once, no queue) and runs that may wait.
  maxRunsInFlight: int(0, 100_000).default(() => 64 * availableParallelism()),
  maxQueuedRuns: int(0, 1_000_000).default(10_000),
  usagePoolSize: int(1, 1000).default(DEFAULT_USAGE_POOL_SIZE),
  usageMemoryLimitMb: int(64, 1_048_576).default(DEFAULT_USAGE_MEMORY_LIMIT_MB),
  frameLimitBytes: int(256, 16 * 1024 * 1024).default(64 * 1024),
  heartbeatMs: int(1000, 600_000).default(30_000),
  socketByteBudget: int(4096, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
  rateLimitPerMinute: int(1, 1_000_000).default(600),
  /** The largest usage upload (`POST /api/usage`) in bytes as sent (compressed when gzip). */
  uploadLimitBytes: int(1024, 1024 ** 4).default(1024 ** 3),
  // Bounds on reading one upload: what it may inflate to, its longest line, and how long its ingest may take.
  uploadInflatedLimitBytes: int(1024, 1024 ** 5).default(16 * 1024 ** 3),
  ingestMaxLineBytes: int(1024, 1024 ** 3).default(8 * 1024 ** 2),
  ingestTimeoutMs: int(1000, 7 * 86_400_000).default(30 * 60_000),
  maxConcurrentUploads: int(1, 1000).default(2),
  adminEmail: optionalText,
  adminPassword: optionalText,
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Multi-node: this process's id on run leases (a fresh one per start), the lease TTL and how often it is renewed,
  // how often expired leases are swept, and how long a shutdown lets runs finish before cancelling them.
  nodeId: z.string().trim().min(1).max(200).default(() => randomUUID()),
  leaseMs: int(100, 3_600_000).default(15_000),
  leaseRenewMs: int(20, 600_000).default(5_000),
  sweepMs: int(20, 600_000).default(5_000),
  shutdownDeadlineMs: int(0, 3_600_000).default(30_000),
  approvalTtlMs: int(1, 86_400_000).default(900_000),
  databaseRetryMs: int(0, 600_000).default(15_000),
  webDir: z.string().trim().min(1).default(DEFAULT_WEB_DIR),
  // Quotas per tier (0: no limit), over sliding windows: runs started in the last hour, records ingested in the last day.
  quotaFreeRunsPerHour: int(0, 1_000_000).default(200),
  quotaFreeRecordsPerDay: int(0, 1e12).default(2_000_000),
  quotaProRunsPerHour: int(0, 1_000_000).default(1_000),
  quotaProRecordsPerDay: int(0, 1e12).default(50_000_000),
  quotaEnterpriseRunsPerHour: int(0, 1_000_000).default(0),
  quotaEnterpriseRecordsPerDay: int(0, 1e12).default(0),
  // Retention: how many days a finished run keeps its whole event log (0: forever), and how often nodes tidy up.
  runRetentionDays: int(0, 36_500).default(0),
  usageRetentionDays: int(0, 36_500).default(0),
  retentionIntervalMs: int(1000, 86_400_000).default(3_600_000),
  maxSocketsPerUser: int(1, 1_000_000).default(20),
  trustProxy: optionalText,
  // Slow clients: a request's headers, a whole request, a silent connection, and the slowest upload body accepted.
  requestTimeoutMs: int(1000, 86_400_000).default(3_600_000),
  headersTimeoutMs: int(100, 600_000).default(20_000),
  connectionTimeoutMs: int(0, 86_400_000).default(600_000),
  uploadMinRateBytes: int(0, 1024 ** 3).default(16 * 1024),
  uploadRateWindowMs: int(100, 3_600_000).default(20_000),
  hstsMaxAgeSeconds: int(0, 2 * 365 * 86_400).default(0),
});

/** Where each field comes from, so an error names the variable the operator can change. */
const FIELD_ENV: Record<keyof z.input<typeof ServerConfigSchema>, EnvVarName> = {
  port: EnvVar.PORT,
  host: EnvVar.HOST,
  dataDir: EnvVar.DATA_DIR,
  databaseUrl: EnvVar.DATABASE_URL,
  redisUrl: EnvVar.REDIS_URL,
  jwtSecret: EnvVar.JWT_SECRET,
  tokenTtlSeconds: EnvVar.TOKEN_TTL_SECONDS,
  maxConcurrentRuns: EnvVar.MAX_CONCURRENT_RUNS,
  maxRunsInFlight: EnvVar.MAX_RUNS_IN_FLIGHT,
  maxQueuedRuns: EnvVar.MAX_QUEUED_RUNS,
  usagePoolSize: EnvVar.USAGE_POOL_SIZE,
  usageMemoryLimitMb: EnvVar.USAGE_MEMORY_LIMIT_MB,
  frameLimitBytes: EnvVar.FRAME_LIMIT_BYTES,
  heartbeatMs: EnvVar.HEARTBEAT_MS,
  socketByteBudget: EnvVar.SOCKET_BYTE_BUDGET,
  rateLimitPerMinute: EnvVar.RATE_LIMIT_PER_MINUTE,
  uploadLimitBytes: EnvVar.UPLOAD_LIMIT_BYTES,
  uploadInflatedLimitBytes: EnvVar.UPLOAD_INFLATED_LIMIT_BYTES,
  ingestMaxLineBytes: EnvVar.INGEST_MAX_LINE_BYTES,
  ingestTimeoutMs: EnvVar.INGEST_TIMEOUT_MS,
  maxConcurrentUploads: EnvVar.MAX_CONCURRENT_UPLOADS,
  adminEmail: EnvVar.ADMIN_EMAIL,
  adminPassword: EnvVar.ADMIN_PASSWORD,
  logLevel: EnvVar.LOG_LEVEL,
  nodeId: EnvVar.NODE_ID,
  leaseMs: EnvVar.LEASE_MS,
  leaseRenewMs: EnvVar.LEASE_RENEW_MS,
  sweepMs: EnvVar.SWEEP_MS,
  shutdownDeadlineMs: EnvVar.SHUTDOWN_DEADLINE_MS,
  approvalTtlMs: EnvVar.APPROVAL_TTL_MS,
  databaseRetryMs: EnvVar.DATABASE_RETRY_MS,
  webDir: EnvVar.WEB_DIR,
  quotaFreeRunsPerHour: EnvVar.QUOTA_FREE_RUNS_PER_HOUR,
  quotaFreeRecordsPerDay: EnvVar.QUOTA_FREE_RECORDS_PER_DAY,
  quotaProRunsPerHour: EnvVar.QUOTA_PRO_RUNS_PER_HOUR,
  quotaProRecordsPerDay: EnvVar.QUOTA_PRO_RECORDS_PER_DAY,
  quotaEnterpriseRunsPerHour: EnvVar.QUOTA_ENTERPRISE_RUNS_PER_HOUR,
  quotaEnterpriseRecordsPerDay: EnvVar.QUOTA_ENTERPRISE_RECORDS_PER_DAY,
  runRetentionDays: EnvVar.RUN_RETENTION_DAYS,
  usageRetentionDays: EnvVar.USAGE_RETENTION_DAYS,
  retentionIntervalMs: EnvVar.RETENTION_INTERVAL_MS,
  maxSocketsPerUser: EnvVar.MAX_SOCKETS_PER_USER,
  trustProxy: EnvVar.TRUST_PROXY,
  requestTimeoutMs: EnvVar.REQUEST_TIMEOUT_MS,
  headersTimeoutMs: EnvVar.HEADERS_TIMEOUT_MS,
  connectionTimeoutMs: EnvVar.CONNECTION_TIMEOUT_MS,
  uploadMinRateBytes: EnvVar.UPLOAD_MIN_RATE_BYTES,
  uploadRateWindowMs: EnvVar.UPLOAD_RATE_WINDOW_MS,
  hstsMaxAgeSeconds: EnvVar.HSTS_MAX_AGE_SECONDS,
};

type ServerField = keyof z.input<typeof ServerConfigSchema>;

/** One line per variable for `apex config reference` (docs/configuration.md); a field without one fails to compile. */
const FIELD_DESCRIPTION: Record<ServerField, string> = {
  port: "Port the server listens on (`--port`); 0 picks a free one.",
  host: "Address the server listens on (`--host`); `0.0.0.0` to accept connections from other machines.",
  dataDir: "Directory of the embedded databases, the generated JWT secret and temporary uploads (`--data-dir`).",
  databaseUrl: "PostgreSQL URL (`postgres://user:password@host:5432/db`); switches every store from the embedded ones to PostgreSQL.",
  redisUrl: "Redis URL (`redis://host:6379`); fans run events out between nodes. Without it the bus is in-process (one node).",
  jwtSecret: "Secret that signs session tokens; generated into the data directory when unset. Set the same random value on every node (`openssl rand -base64 48`); a guessable one (e.g. one character repeated) is refused.",
  tokenTtlSeconds: "How long a session token stays valid, in seconds.",
  maxConcurrentRuns: "Runs one user may have in progress at once on a node, running or waiting their turn; one more message is refused with `too_many_runs`.",
  maxRunsInFlight: "Runs (analyses) a node executes at once; the others wait their turn in a fair queue (users take turns) and each client is told its place. A run mostly waits on the database (its event log, its queries), so a node keeps many more in flight than it has cores (`npm run bench:burst` measures it). 0 starts every run at once (no queue).",
  maxQueuedRuns: "Runs that may wait their turn on a node; one more message is refused with `server_busy` (503), to send again later.",
  usagePoolSize: "Connections to PostgreSQL the usage store (the analyses' queries, ingests) keeps open per node; only with `DATABASE_URL`.",
  usageMemoryLimitMb: "Memory in MiB the embedded DuckDB usage store may use for its queries (DuckDB `memory_limit`); past it a query spills to disk or fails with a clear error instead of taking the machine's memory. Embedded mode only.",
  frameLimitBytes: "Largest WebSocket frame a client may send, in bytes.",
  heartbeatMs: "Interval of WebSocket pings; a socket that misses one is closed.",
  socketByteBudget: "Bytes of run events queued for a slow client (WebSocket or AG-UI stream) before it is disconnected.",
  rateLimitPerMinute: "Commands one user may send per minute over all their sockets; past twice that the socket is closed.",
  uploadLimitBytes: "Largest usage upload (`POST /api/usage`) in bytes as sent (compressed when gzip).",
  uploadInflatedLimitBytes: "Most bytes one usage upload may hold once inflated (a gzip upload's content); past it reading stops with 413 `upload_too_large`.",
  ingestMaxLineBytes: "Longest line of an upload (a JSON line or array element, a CSV row), in characters of its text; a longer one is reported as a rejected line and skipped (one JSON document or CSV row with no end: `unknown_format`).",
  ingestTimeoutMs: "Longest time one upload's ingest may take once received; past it the reading stops with 413 `ingest_timeout` (split the file).",
  maxConcurrentUploads: "Uploads (`POST /api/usage`) one user may have in progress at once on a node; one more is refused with 429 `rate_limited` and `Retry-After`.",
  adminEmail: "Email of the first admin, created at start-up when there is no account yet (with the password).",
  adminPassword: "Password of that first admin (12 characters or more, not a common password); set both or neither.",
  logLevel: "Server log level.",
  nodeId: "This node's name on the run leases it holds.",
  leaseMs: "How long a run lease lasts without renewal; a dead node's runs are closed as interrupted after it.",
  leaseRenewMs: "How often a node renews its run leases; must be shorter than the lease.",
  sweepMs: "How often a node looks for expired leases of dead nodes.",
  shutdownDeadlineMs: "How long SIGTERM lets running runs finish before cancelling them.",
  approvalTtlMs: "How long an agent's approval question (e.g. before a large synthetic data job) waits for an answer.",
  databaseRetryMs:
    "How long a write that is safe to repeat (a run's events, its row at start and end, a question's creation and polling) is retried through a database blip before the run fails with `database_unavailable`.",
  webDir: "Directory of the web UI build served at `/` (`npm run build:web`).",
  quotaFreeRunsPerHour: "Runs (analyses) a free-tier user may start in any sliding hour; 0 for no limit. Past it a message is refused with `quota_exceeded`.",
  quotaFreeRecordsPerDay: "Usage records a free-tier user may ingest (uploads, demo data, generated sets) in any sliding 24 hours; 0 for no limit. Each batch reserves its records before it is written (atomically across uploads and nodes), so an ingest stops with `quota_exceeded` where the quota runs out, keeping what fit (its dataset is then marked partial).",
  quotaProRunsPerHour: "Like `APEX_QUOTA_FREE_RUNS_PER_HOUR`, for the pro tier.",
  quotaProRecordsPerDay: "Like `APEX_QUOTA_FREE_RECORDS_PER_DAY`, for the pro tier.",
  quotaEnterpriseRunsPerHour: "Like `APEX_QUOTA_FREE_RUNS_PER_HOUR`, for the enterprise tier.",
  quotaEnterpriseRecordsPerDay: "Like `APEX_QUOTA_FREE_RECORDS_PER_DAY`, for the enterprise tier.",
  runRetentionDays: "Days a finished run keeps its whole event log; older runs are compacted to their final report and outcome (the run row, `final_report` and the terminal event stay). 0 keeps everything.",
  usageRetentionDays: "Days a corpus keeps its usage records (by record time) unless its owner set its own retention (`PATCH /api/corpora/:corpus {retention_days}`); older records are deleted by the retention pass. 0 keeps everything.",
  retentionIntervalMs: "How often a node runs the retention pass (one node at a time, under a database lock).",
  maxSocketsPerUser: "WebSocket connections one account may hold open on one node; past it a new one is closed with 1013 (the UI retries later).",
  trustProxy: "Addresses or CIDR ranges of the reverse proxies in front of the nodes (comma-separated, e.g. `127.0.0.1,10.0.0.0/8`), whose `X-Forwarded-For` gives the client's address (for the per-address sign-in throttle). Unset: the TCP peer is the client.",
  requestTimeoutMs: "Longest time a client may take to send a whole request, body included (uploads too); past it the answer is 408 and the connection closes.",
  headersTimeoutMs: "Longest time a client may take to send a request's headers; past it the connection is closed (checked every quarter of it, at most every 30 s).",
  connectionTimeoutMs: "A connection silent both ways for this long is closed (0: never). Exempt: WebSocket and AG-UI streams (heartbeats and the run bound them) and an upload's ingest once its body is in (`APEX_INGEST_TIMEOUT_MS` bounds it).",
  uploadMinRateBytes: "Fewest bytes an upload body must deliver in every `APEX_UPLOAD_RATE_WINDOW_MS`; a slower one is stopped with 408 `upload_too_slow` and its temp file removed (0: no minimum).",
  uploadRateWindowMs: "The sliding window over which an upload's body rate is measured.",
  hstsMaxAgeSeconds: "When Apex is served over HTTPS (at a TLS proxy), the `Strict-Transport-Security` max-age to send, e.g. 31536000; 0 (the default) sends none, for plain HTTP.",
};

/** Defaults computed at start-up, shown in words instead of this machine's value. */
const COMPUTED_DEFAULT: Partial<Record<ServerField, string>> = {
  maxRunsInFlight: "64 × the CPU cores (`os.availableParallelism()`)",
  nodeId: "a fresh UUID per start",
  webDir: "`dist/web` of the Apex package",
};

const LLM_FIELD_DESCRIPTION: Record<keyof z.input<typeof LlmConfigSchema>, string> = {
  provider: "The LLM the agents use: `offline` (no LLM, the default), `openai` (any OpenAI-compatible endpoint) or `anthropic`.",
  baseURL: "Endpoint of the provider, e.g. a local OpenAI-compatible server; the provider's public API when unset.",
  apiKey: "API key of the provider; required for anthropic and api.openai.com. Never printed.",
  model: "Model the agents call; required with any provider but offline.",
};

/** A variable of the configuration as the reference documents it. */
export interface DocumentedVariable {
  env: EnvVarName;
  /** The field's schema, for its type, range and default. */
  schema: z.ZodType;
  description: string;
  computedDefault?: string;
}

/** Every variable of the server and LLM configuration, in schema order, for the generated reference. */
export function documentedVariables(): { server: DocumentedVariable[]; llm: DocumentedVariable[] } {
  const server = (Object.keys(FIELD_ENV) as ServerField[]).map((field) => ({
    env: FIELD_ENV[field],
    schema: ServerConfigSchema.shape[field],
    description: FIELD_DESCRIPTION[field],
    ...(COMPUTED_DEFAULT[field] === undefined ? {} : { computedDefault: COMPUTED_DEFAULT[field] }),
  }));
  const llm = (Object.keys(LLM_FIELD_ENV) as (keyof typeof LLM_FIELD_ENV)[]).map((field) => ({
    env: LLM_FIELD_ENV[field],
    schema: LlmConfigSchema.shape[field],
    description: LLM_FIELD_DESCRIPTION[field],
  }));
  return { server, llm };
}

export type ServerConfig = Omit<z.output<typeof ServerConfigSchema>, "jwtSecret"> & {
  jwtSecret: string;
  llm: LlmConfig;
};

/** Command-line flags of `apex serve`; they override the env. */
export interface ServeFlags {
  port?: string | number;
  host?: string;
  dataDir?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Parses env + flags; throws `invalid_config` naming every bad variable. The secret is not resolved here. */
export function parseServerConfig(env: Env, flags: ServeFlags = {}): Omit<ServerConfig, "jwtSecret"> & { jwtSecret?: string } {
  const input: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(FIELD_ENV)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") input[field] = value;
  }
  for (const [field, value] of Object.entries(flags)) if (value !== undefined) input[field] = value;
  const parsed = ServerConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = String(issue.path[0]) as keyof typeof FIELD_ENV;
      const flag = field in flags ? ` (or --${field === "dataDir" ? "data-dir" : field})` : "";
      return `${FIELD_ENV[field] ?? field}${flag}: ${issue.message}`;
    });
    throw new ApexError(ErrorCode.INVALID_CONFIG, `The server configuration is invalid; fix ${problems.join("; ")}.`);
  }
  const config = parsed.data;
  if ((config.adminEmail === undefined) !== (config.adminPassword === undefined)) {
    throw new ApexError(ErrorCode.INVALID_CONFIG, `Set both ${EnvVar.ADMIN_EMAIL} and ${EnvVar.ADMIN_PASSWORD}, or neither.`);
  }
  const weakAdminPassword = config.adminPassword === undefined ? undefined : passwordProblem(config.adminPassword);
  if (weakAdminPassword !== undefined) throw new ApexError(ErrorCode.INVALID_CONFIG, `${EnvVar.ADMIN_PASSWORD}: ${weakAdminPassword}`);
  if (config.leaseRenewMs >= config.leaseMs) {
    throw new ApexError(ErrorCode.INVALID_CONFIG, `${EnvVar.LEASE_RENEW_MS} (${config.leaseRenewMs}) must be shorter than ${EnvVar.LEASE_MS} (${config.leaseMs}), or live runs look dead to the other nodes.`);
  }
  return { ...config, dataDir: resolve(config.dataDir), webDir: resolve(config.webDir), llm: llmConfigFromEnv(env) };
}

/** Length × the Shannon entropy of the secret's character frequencies, in bits. */
function secretBits(secret: string): number {
  const chars = [...secret];
  const counts = new Map<string, number>();
  for (const char of chars) counts.set(char, (counts.get(char) ?? 0) + 1);
  let perChar = 0;
  for (const count of counts.values()) perChar -= (count / chars.length) * Math.log2(count / chars.length);
  return perChar * chars.length;
}

/** A warning for a JWT secret that passes the config but is weaker than a random one should be; undefined when fine. */
export function jwtSecretWarning(secret: string): string | undefined {
  const bits = Math.round(secretBits(secret));
  if (bits >= SECRET_WARN_BITS) return undefined;
  return `${EnvVar.JWT_SECRET} looks guessable (about ${bits} bits by its characters; a random one has 100 or more): set it to \`openssl rand -base64 48\` on every node (signing everyone out once).`;
}

/** The full configuration, with the JWT secret from the env or from `<dataDir>/jwt-secret` (created 0600 if missing). */
export async function loadServerConfig(env: Env, flags: ServeFlags = {}): Promise<ServerConfig> {
  const config = parseServerConfig(env, flags);
  const jwtSecret = config.jwtSecret ?? (await dataDirSecret(config.dataDir));
  return { ...config, jwtSecret };
}

async function dataDirSecret(dataDir: string): Promise<string> {
  const file = join(dataDir, SECRET_FILE);
  try {
    const stored = (await readFile(file, "utf8")).trim();
    if (stored.length < MIN_SECRET_CHARS) {
      throw new ApexError(
        ErrorCode.INVALID_CONFIG,
        `${file} holds a secret shorter than ${MIN_SECRET_CHARS} characters; delete the file (signing everyone out) or set ${EnvVar.JWT_SECRET}.`,
      );
    }
    return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const secret = randomBytes(48).toString("base64url");
  try {
    await mkdir(dataDir, { recursive: true });
    // "wx": a second process starting at the same moment keeps the first one's secret instead of overwriting it.
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
    await chmod(file, 0o600);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return dataDirSecret(dataDir);
    throw new ApexError(
      ErrorCode.INVALID_CONFIG,
      `Could not keep the token secret in ${file}: ${error instanceof Error ? error.message : String(error)}. Make ${dataDir} writable or set ${EnvVar.JWT_SECRET}.`,
      { cause: error },
    );
  }
}
