import { randomBytes, randomUUID } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { llmConfigFromEnv, type LlmConfig } from "../llm/config.ts";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode, type EnvVarName } from "../protocol/names.ts";

// The server's configuration: one schema over env variables and command-line flags (flags win), validated at start-up
// with errors that name the variable to fix. The JWT secret comes from the env or is generated once into the data dir.

const MIN_SECRET_CHARS = 32;
const SECRET_FILE = "jwt-secret";
/** Where the embedded databases live unless APEX_DATA_DIR or --data-dir says otherwise (the CLI uses it too). */
export const DEFAULT_DATA_DIR = ".apex";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalText = z.string().trim().optional().transform((v) => (v === "" ? undefined : v));

const ServerConfigSchema = z.object({
  port: int(0, 65_535).default(3000),
  host: z.string().trim().min(1).default("127.0.0.1"),
  dataDir: z.string().trim().min(1).default(DEFAULT_DATA_DIR),
  databaseUrl: optionalText,
  redisUrl: optionalText,
  jwtSecret: z.string().min(MIN_SECRET_CHARS).optional(),
  tokenTtlSeconds: int(60, 30 * 86_400).default(12 * 3600),
  maxConcurrentRuns: int(1, 1000).default(2),
  frameLimitBytes: int(256, 16 * 1024 * 1024).default(64 * 1024),
  heartbeatMs: int(1000, 600_000).default(30_000),
  socketByteBudget: int(4096, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
  rateLimitPerMinute: int(1, 1_000_000).default(600),
  /** The largest usage upload (`POST /api/usage`) in bytes as sent (compressed when gzip). */
  uploadLimitBytes: int(1024, 1024 ** 4).default(1024 ** 3),
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
  frameLimitBytes: EnvVar.FRAME_LIMIT_BYTES,
  heartbeatMs: EnvVar.HEARTBEAT_MS,
  socketByteBudget: EnvVar.SOCKET_BYTE_BUDGET,
  rateLimitPerMinute: EnvVar.RATE_LIMIT_PER_MINUTE,
  uploadLimitBytes: EnvVar.UPLOAD_LIMIT_BYTES,
  adminEmail: EnvVar.ADMIN_EMAIL,
  adminPassword: EnvVar.ADMIN_PASSWORD,
  logLevel: EnvVar.LOG_LEVEL,
  nodeId: EnvVar.NODE_ID,
  leaseMs: EnvVar.LEASE_MS,
  leaseRenewMs: EnvVar.LEASE_RENEW_MS,
  sweepMs: EnvVar.SWEEP_MS,
  shutdownDeadlineMs: EnvVar.SHUTDOWN_DEADLINE_MS,
};

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
  if (config.leaseRenewMs >= config.leaseMs) {
    throw new ApexError(ErrorCode.INVALID_CONFIG, `${EnvVar.LEASE_RENEW_MS} (${config.leaseRenewMs}) must be shorter than ${EnvVar.LEASE_MS} (${config.leaseMs}), or live runs look dead to the other nodes.`);
  }
  return { ...config, dataDir: resolve(config.dataDir), llm: llmConfigFromEnv(env) };
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
