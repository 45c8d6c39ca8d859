import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { llmConfigFromEnv, type LlmConfig } from "../llm/config.ts";
import { createLlmProvider } from "../llm/create-provider.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { EnvVar } from "../protocol/names.ts";
import { raceAbort } from "../runtime/abort.ts";
import { DEFAULT_DATA_DIR, jwtSecretWarning, parseServerConfig } from "../server/config.ts";
import { hostPort, invalidUrl, messageOf, type DoctorCheck } from "./doctor-check.ts";
import { checkDatabase } from "./doctor-database.ts";

// The checks of `apex doctor`, one small function each: they never throw, never print a secret (URLs are shown as
// host:port, keys not at all) and give up after a short timeout instead of waiting on a service that is down.

type Env = Readonly<Record<string, string | undefined>>;

export interface DoctorOptions {
  /** `--data-dir`, which wins over APEX_DATA_DIR as in `apex serve`. */
  dataDir?: string | undefined;
  /** How long a service (PostgreSQL, Redis, the LLM) may take to answer. */
  timeoutMs?: number;
  now?: Date;
}

const DEFAULT_TIMEOUT_MS = 3000;
const LLM_TIMEOUT_MS = 10_000;
const PRICE_FILE_MAX_AGE_DAYS = 90;
const DAY_MS = 86_400_000;
const REDIS_PORT = "6379";
const REFERENCE = "docs/configuration.md lists every variable";

/** Runs every check; the embedded store is never opened, so it is safe next to a running server. */
export async function runDoctorChecks(env: Env, options: DoctorOptions = {}): Promise<DoctorCheck[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const dataDir = parseDataDir(env, options.dataDir);
  const redisUrl = setting(env, EnvVar.REDIS_URL);
  return Promise.all([
    checkConfiguration(env, options.dataDir),
    checkDataDir(dataDir),
    checkDatabase(setting(env, EnvVar.DATABASE_URL), dataDir, timeoutMs),
    redisUrl === undefined ? Promise.resolve(inProcessBus()) : checkRedis(redisUrl, timeoutMs),
    checkLlm(env, Math.max(timeoutMs, LLM_TIMEOUT_MS)),
    checkPrices(setting(env, EnvVar.PRICES_FILE), options.now ?? new Date()),
  ]);
}

function setting(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === "" ? undefined : value;
}

/** The data directory as `apex serve` resolves it (flag, then env, then the default), even when the config is invalid. */
function parseDataDir(env: Env, flag: string | undefined): string {
  return resolve(flag?.trim() || setting(env, EnvVar.DATA_DIR) || DEFAULT_DATA_DIR);
}

async function checkConfiguration(env: Env, dataDirFlag?: string): Promise<DoctorCheck> {
  const name = "configuration";
  const set = Object.values(EnvVar).filter((variable) => setting(env, variable) !== undefined);
  try {
    const config = parseServerConfig(env, dataDirFlag === undefined ? {} : { dataDir: dataDirFlag });
    const detail = `valid (${set.length === 0 ? "no variable set: the embedded defaults" : `set: ${set.join(", ")}`})`;
    if (config.databaseUrl !== undefined && config.jwtSecret === undefined) {
      return {
        name,
        status: "warn",
        detail: `${detail}; ${EnvVar.JWT_SECRET} is unset, so each node generates its own and a token works on one node only`,
        fix: `set ${EnvVar.JWT_SECRET} to the same random string (32 characters or more) on every node`,
      };
    }
    const weakSecret = config.jwtSecret === undefined ? undefined : jwtSecretWarning(config.jwtSecret);
    if (weakSecret !== undefined) {
      return { name, status: "warn", detail: `${detail}; ${weakSecret}`, fix: `set ${EnvVar.JWT_SECRET} to the output of \`openssl rand -base64 48\`` };
    }
    return { name, status: "ok", detail };
  } catch (error) {
    return { name, status: "fail", detail: messageOf(error), fix: `correct the variables named above (${REFERENCE})` };
  }
}

/** Writable means a file can be created and removed there; a directory that does not exist yet is created and removed. */
async function checkDataDir(dir: string): Promise<DoctorCheck> {
  const name = "data directory";
  try {
    const created = await mkdir(dir, { recursive: true });
    const probe = join(dir, `.apex-doctor-${randomBytes(6).toString("hex")}`);
    await writeFile(probe, "");
    await rm(probe);
    if (created === undefined) return { name, status: "ok", detail: `${dir} is writable` };
    for (let removed = dir; ; removed = dirname(removed)) {
      await rmdir(removed);
      if (removed === created) break;
    }
    return { name, status: "ok", detail: `${dir} does not exist yet and can be created (apex serve creates it)` };
  } catch (error) {
    return {
      name,
      status: "fail",
      detail: `${dir} is not usable: ${messageOf(error)}`,
      fix: `make ${dir} writable by this user, or point ${EnvVar.DATA_DIR} (or --data-dir) at a writable directory`,
    };
  }
}

function inProcessBus(): DoctorCheck {
  return { name: "bus", status: "ok", detail: `in-process bus (single node; set ${EnvVar.REDIS_URL} to run several)` };
}

/**
 * No retries and no offline queue: ioredis would otherwise reconnect and wait forever on a Redis that is down. A short
 * disconnectTimeout lets the process exit at once instead of 2 s after a failed connection.
 */
async function checkRedis(url: string, timeoutMs: number): Promise<DoctorCheck> {
  const name = "bus";
  const where = hostPort(url, REDIS_PORT);
  if (where === undefined) return invalidUrl(name, EnvVar.REDIS_URL, "redis://host:6379");
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    disconnectTimeout: 100,
    connectionName: "apex:doctor",
  });
  // connect() rejects with a bare "Connection is closed."; the cause (ECONNREFUSED, ENOTFOUND…) comes as an event.
  let cause: unknown;
  redis.on("error", (error: unknown) => (cause ??= error));
  try {
    await raceAbort(
      redis.connect().then(() => redis.ping()),
      AbortSignal.timeout(timeoutMs + 500),
    );
    return { name, status: "ok", detail: `Redis at ${where} answers PING` };
  } catch (error) {
    const message = messageOf(cause ?? error);
    if (/NOAUTH|WRONGPASS/.test(message)) {
      return { name, status: "fail", detail: `Redis at ${where} refused the login: ${message}`, fix: `check the user and password in ${EnvVar.REDIS_URL}` };
    }
    return {
      name,
      status: "fail",
      detail: `cannot connect to Redis at ${where} — is it running? check ${EnvVar.REDIS_URL} (${message})`,
      fix: `start Redis, or correct the host and port in ${EnvVar.REDIS_URL}, or unset it to use the in-process bus on a single node`,
    };
  } finally {
    redis.disconnect();
  }
}

/** Offline needs nothing; a configured provider gets its own `check()`, a cheap real call, under a deadline. */
async function checkLlm(env: Env, timeoutMs: number): Promise<DoctorCheck> {
  const name = "LLM provider";
  let config: LlmConfig;
  try {
    config = llmConfigFromEnv(env);
  } catch {
    return { name, status: "warn", detail: "not checked: the LLM configuration is invalid (see configuration)", fix: "correct the APEX_LLM_* variables named there" };
  }
  if (config.provider === "offline") {
    return { name, status: "ok", detail: `offline (no LLM; set ${EnvVar.LLM_PROVIDER} to openai or anthropic to use one)` };
  }
  try {
    const provider = createLlmProvider(config, { checkTimeoutMs: timeoutMs });
    const result = await raceAbort(provider.check(AbortSignal.timeout(timeoutMs)), AbortSignal.timeout(timeoutMs + 500));
    return { name, status: "ok", detail: `${result.provider}, model ${result.model}: answered in ${Math.round(result.latency_ms)} ms` };
  } catch (error) {
    return {
      name,
      status: "fail",
      detail: `${config.provider}, model ${config.model ?? "unset"}: ${messageOf(error)}`,
      fix: `check ${EnvVar.LLM_BASE_URL}, ${EnvVar.LLM_API_KEY} and ${EnvVar.LLM_MODEL}, or set ${EnvVar.LLM_PROVIDER}=offline`,
    };
  }
}

/** The bundled table's version, and the override file's readability and age (prices change every few weeks). */
async function checkPrices(file: string | undefined, now: Date): Promise<DoctorCheck> {
  const name = "price table";
  const bundled = `bundled @pydantic/genai-prices ${await bundledPricesVersion()}`;
  if (file === undefined) return { name, status: "ok", detail: `${bundled} (no ${EnvVar.PRICES_FILE})` };
  const refresh = "download a current model_prices_and_context_window.json from LiteLLM";
  try {
    const modified = (await stat(file)).mtime;
    PriceBook.fromFile(file);
    const days = Math.floor((now.getTime() - modified.getTime()) / DAY_MS);
    const detail = `${bundled}, overridden by ${file} (${days} days old)`;
    if (days > PRICE_FILE_MAX_AGE_DAYS) {
      return { name, status: "warn", detail: `${detail}: older than ${PRICE_FILE_MAX_AGE_DAYS} days, prices may be stale`, fix: `${refresh} into ${file}` };
    }
    return { name, status: "ok", detail };
  } catch (error) {
    return { name, status: "fail", detail: `${EnvVar.PRICES_FILE}=${file} cannot be used: ${messageOf(error)}`, fix: `${refresh}, or unset ${EnvVar.PRICES_FILE}` };
  }
}

async function bundledPricesVersion(): Promise<string> {
  // The package exports no version and no package.json entry: read it next to its resolved entry point (dist/).
  const entry = fileURLToPath(import.meta.resolve("@pydantic/genai-prices"));
  const pkg = JSON.parse(await readFile(join(dirname(entry), "..", "package.json"), "utf8")) as { version: string };
  return pkg.version;
}
