import type { CatalogDiff, CatalogEdit, CatalogLookup, CatalogRollback, CatalogVersion, CatalogVersionSummary } from "../protocol/catalog.ts";
import { ApexError } from "../protocol/errors.ts";
import type { RunEvent } from "../protocol/events.ts";
import { ErrorCode, RoutePath, type ErrorCodeName, type RoleName } from "../protocol/names.ts";
import type {
  AccountChange,
  AdminUser,
  ApiKeysReset,
  AuditFilter,
  AuditPage,
  CatalogTarget,
  CorpusDetail,
  CorpusListing,
  DemoLoad,
  EffectiveCatalog,
  IssuedToken,
  Me,
  Message,
  QuotaReport,
  RunRow,
  SyntheticJob,
  Thread,
  UsageSummary,
} from "../protocol/rest.ts";

// The REST client of the UI: one method per route it uses, typed answers, and every failure an ApexError carrying the
// server's code and message (HTTP status in `details.status`). A 401 also tells the app, which sends the user to sign-in.
// The answers' shapes are the server's own, from src/protocol/rest.ts.

/** A file the server sent as a download. */
export interface DownloadedFile {
  blob: Blob;
  name: string;
}

/** `/api/threads/:thread_id` with the parameters filled in. */
function routeOf(path: string, params: Record<string, string>): string {
  return path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ""));
}

/** `?a=1&b=2` of the defined values; "" when none. */
function queryOf(values: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined && value !== "") search.set(name, String(value));
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

/** The file name of a `content-disposition: attachment; filename="…"` header. */
function fileNameOf(disposition: string | null, fallback: string): string {
  return /filename="([^"]+)"/.exec(disposition ?? "")?.[1] ?? fallback;
}

/** The ApexError for a non-2xx answer, from the server's `{error: {code, message}}` body when it has one. */
export function errorFromResponse(status: number, body: unknown): ApexError {
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  const known = Object.values(ErrorCode) as string[];
  const code = error?.code !== undefined && known.includes(error.code) ? (error.code as ErrorCodeName) : ErrorCode.INTERNAL;
  const message = error?.message ?? `The server answered ${status}; try again in a moment.`;
  return new ApexError(code, message, { details: { status } });
}

/** A body as JSON, or null when it is empty or not JSON (a proxy's HTML error page). */
export function parseJson(text: string): unknown {
  try {
    return text === "" ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

export interface ApiOptions {
  /** Origin of the server; "" in the browser (same origin). */
  baseUrl?: string;
  token?: () => string | null;
  onUnauthorized?: (error: ApexError) => void;
}

export class ApiClient {
  readonly #base: string;
  readonly #token: () => string | null;
  readonly #onUnauthorized: (error: ApexError) => void;

  constructor(options: ApiOptions = {}) {
    this.#base = options.baseUrl ?? "";
    this.#token = options.token ?? (() => null);
    this.#onUnauthorized = options.onUnauthorized ?? (() => undefined);
  }

  async setupRequired(): Promise<boolean> {
    return (await this.#call<{ setup_required: boolean }>("GET", RoutePath.SETUP)).setup_required;
  }

  setup(email: string, password: string): Promise<IssuedToken> {
    return this.#call("POST", RoutePath.SETUP, { email, password });
  }

  login(email: string, password: string): Promise<IssuedToken> {
    return this.#call("POST", RoutePath.AUTH_LOGIN, { email, password });
  }

  me(): Promise<Me> {
    return this.#call("GET", RoutePath.ME);
  }

  async threads(): Promise<Thread[]> {
    return (await this.#call<{ threads: Thread[] }>("GET", RoutePath.THREADS)).threads;
  }

  async createThread(title?: string): Promise<Thread> {
    return (await this.#call<{ thread: Thread }>("POST", RoutePath.THREADS, title === undefined ? {} : { title })).thread;
  }

  async renameThread(threadId: string, title: string): Promise<Thread> {
    return (await this.#call<{ thread: Thread }>("PATCH", routeOf(RoutePath.THREAD, { thread_id: threadId }), { title })).thread;
  }

  async deleteThread(threadId: string): Promise<void> {
    await this.#call("DELETE", routeOf(RoutePath.THREAD, { thread_id: threadId }));
  }

  async messages(threadId: string): Promise<Message[]> {
    const all: Message[] = [];
    let after: number | null = null;
    do {
      const query: string = after === null ? "?limit=500" : `?limit=500&after=${after}`;
      const page: { messages: Message[]; next_after: number | null } = await this.#call("GET", routeOf(RoutePath.THREAD_MESSAGES, { thread_id: threadId }) + query);
      all.push(...page.messages);
      after = page.next_after;
    } while (after !== null);
    return all;
  }

  async threadRuns(threadId: string): Promise<RunRow[]> {
    return (await this.#call<{ runs: RunRow[] }>("GET", routeOf(RoutePath.THREAD_RUNS, { thread_id: threadId }))).runs;
  }

  async runEvents(runId: string, afterSeq = 0): Promise<RunEvent[]> {
    const path = `${routeOf(RoutePath.RUN_EVENTS, { run_id: runId })}?after_seq=${afterSeq}`;
    return (await this.#call<{ events: RunEvent[] }>("GET", path)).events;
  }

  usageSummary(): Promise<UsageSummary> {
    return this.#call("GET", RoutePath.USAGE_SUMMARY);
  }

  loadDemo(records?: number): Promise<DemoLoad> {
    return this.#call("POST", RoutePath.USAGE_DEMO, records === undefined ? {} : { records });
  }

  quotas(): Promise<QuotaReport> {
    return this.#call("GET", RoutePath.QUOTAS);
  }

  // --- administration (admin role) ---

  async adminUsers(): Promise<AdminUser[]> {
    return (await this.#call<{ users: AdminUser[] }>("GET", RoutePath.ADMIN_USERS)).users;
  }

  async updateUser(userId: string, change: AccountChange): Promise<AdminUser> {
    return (await this.#call<{ user: AdminUser }>("PATCH", routeOf(RoutePath.ADMIN_USER, { user_id: userId }), change)).user;
  }

  resetApiKeys(userId: string, newKeyName?: string): Promise<ApiKeysReset> {
    return this.#call("POST", routeOf(RoutePath.ADMIN_USER_API_KEYS, { user_id: userId }), newKeyName === undefined ? {} : { new_key_name: newKeyName });
  }

  async createUser(email: string, password: string, role: RoleName): Promise<void> {
    await this.#call("POST", RoutePath.USERS, { email, password, role });
  }

  audit(filter: AuditFilter, cursor: number | null, limit: number): Promise<AuditPage> {
    return this.#call("GET", RoutePath.AUDIT + queryOf({ ...filter, limit, cursor: cursor ?? undefined }));
  }

  auditExport(filter: AuditFilter, format: "jsonl" | "csv"): Promise<DownloadedFile> {
    return this.#download(RoutePath.AUDIT_EXPORT + queryOf({ ...filter, format }), `audit.${format}`);
  }

  // --- the supply catalog ---

  catalog(): Promise<EffectiveCatalog> {
    return this.#call("GET", RoutePath.CATALOG);
  }

  /** One model as the caller's runs would price it now: their catalog's entry, else the bundled prices. */
  catalogModel(model: string): Promise<CatalogLookup> {
    return this.#call("GET", routeOf(RoutePath.CATALOG_MODEL, { model }));
  }

  async catalogVersions(target: CatalogTarget): Promise<CatalogVersionSummary[]> {
    return (await this.#call<{ versions: CatalogVersionSummary[] }>("GET", RoutePath.CATALOG_VERSIONS + queryOf({ ...target }))).versions;
  }

  async catalogVersion(target: CatalogTarget, version: number): Promise<CatalogVersion> {
    const path = routeOf(RoutePath.CATALOG_VERSION, { version: String(version) }) + queryOf({ ...target });
    return (await this.#call<{ version: CatalogVersion }>("GET", path)).version;
  }

  async catalogDiff(target: CatalogTarget, from: number, to: number): Promise<CatalogDiff> {
    return (await this.#call<{ diff: CatalogDiff }>("GET", RoutePath.CATALOG_DIFF + queryOf({ ...target, from, to }))).diff;
  }

  async changeCatalog(edit: CatalogEdit): Promise<CatalogVersionSummary> {
    return (await this.#call<{ version: CatalogVersionSummary }>("POST", RoutePath.CATALOG_VERSIONS, edit)).version;
  }

  async rollbackCatalog(rollback: CatalogRollback): Promise<CatalogVersionSummary> {
    return (await this.#call<{ version: CatalogVersionSummary }>("POST", RoutePath.CATALOG_ROLLBACK, rollback)).version;
  }

  // --- a user's corpora and synthetic data jobs ---

  async corpora(): Promise<CorpusListing[]> {
    return (await this.#call<{ corpora: CorpusListing[] }>("GET", RoutePath.CORPORA)).corpora;
  }

  async corpus(name: string): Promise<CorpusDetail> {
    return (await this.#call<{ corpus: CorpusDetail }>("GET", routeOf(RoutePath.CORPUS, { corpus: name }))).corpus;
  }

  /** Days of records the corpus keeps (0: all of them); null returns it to the server's default. */
  async setCorpusRetention(name: string, days: number | null): Promise<CorpusDetail> {
    return (await this.#call<{ corpus: CorpusDetail }>("PATCH", routeOf(RoutePath.CORPUS, { corpus: name }), { retention_days: days })).corpus;
  }

  async renameCorpus(name: string, to: string): Promise<void> {
    await this.#call("PATCH", routeOf(RoutePath.CORPUS, { corpus: name }), { name: to });
  }

  async deleteCorpus(name: string): Promise<number> {
    return (await this.#call<{ deleted_records: number }>("DELETE", routeOf(RoutePath.CORPUS, { corpus: name }))).deleted_records;
  }

  exportCorpus(name: string): Promise<DownloadedFile> {
    return this.#download(routeOf(RoutePath.CORPUS_EXPORT, { corpus: name }), `${name}.jsonl`);
  }

  async syntheticJobs(): Promise<SyntheticJob[]> {
    return (await this.#call<{ jobs: SyntheticJob[] }>("GET", RoutePath.SYNTHETIC_JOBS)).jobs;
  }

  /** Authorization header value for requests made outside this client (the upload's XMLHttpRequest). */
  authorization(): string | null {
    const token = this.#token();
    return token === null ? null : `Bearer ${token}`;
  }

  /** Reports a 401 seen elsewhere (the upload) like one seen here. */
  unauthorized(error: ApexError): void {
    this.#onUnauthorized(error);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#fetch(method, path, body);
    const parsed = parseJson(await response.text());
    if (response.ok) return parsed as T;
    throw this.#failure(response.status, parsed);
  }

  /** A GET whose answer is a file (an export), kept as a blob so the page can save it under the server's name. */
  async #download(path: string, fallbackName: string): Promise<DownloadedFile> {
    const response = await this.#fetch("GET", path);
    if (!response.ok) throw this.#failure(response.status, parseJson(await response.text()));
    return { blob: await response.blob(), name: fileNameOf(response.headers.get("content-disposition"), fallbackName) };
  }

  async #fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    const authorization = this.authorization();
    if (authorization !== null) headers.authorization = authorization;
    if (body !== undefined) headers["content-type"] = "application/json";
    try {
      return await fetch(this.#base + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (cause) {
      throw new ApexError(ErrorCode.INTERNAL, "The server cannot be reached; check that `apex serve` is running, then try again.", { cause, retryable: true });
    }
  }

  #failure(status: number, body: unknown): ApexError {
    const error = errorFromResponse(status, body);
    if (status === 401) this.#onUnauthorized(error);
    return error;
  }
}
