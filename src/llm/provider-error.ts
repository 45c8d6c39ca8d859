import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";

// Turns what an SDK or fetch threw into an ApexError that says what is wrong and which setting fixes it. Both SDKs'
// errors carry `status` and `headers`, so one duck-typed reading serves them (and plain fetch failures) alike.

/** Who is called, for messages; the key is kept only to scrub it from upstream messages, never to print it. */
export interface Endpoint {
  /** e.g. `openai (gpt-4o-mini at https://api.openai.com/v1)`. */
  label: string;
  baseURL: string;
  model: string;
  apiKey: string | undefined;
}

interface HttpFailure {
  status: number;
  headers: { get(name: string): string | null } | undefined;
  message: string;
}

const KEY_PATTERN = /\b(?:sk|key|api)[-_][A-Za-z0-9_*.-]{6,}/g;

/** `text` with the key and anything shaped like a key removed (upstream 401 messages echo part of the key). */
export function redact(text: string, apiKey: string | undefined): string {
  const withoutKey = apiKey ? text.split(apiKey).join("[redacted]") : text;
  return withoutKey.replace(KEY_PATTERN, "[redacted]");
}

/** The error as an ApexError; ours pass through. `details.retryAfterMs` carries the server's requested wait. */
export function classifyProviderError(error: unknown, endpoint: Endpoint): ApexError {
  if (error instanceof ApexError) return error;
  const http = httpFailure(error);
  if (http === undefined) return unreachable(error, endpoint);
  const upstream = redact(http.message, endpoint.apiKey).slice(0, 300);
  const details = { status: http.status, retryAfterMs: retryAfterMs(http.headers) };
  const said = `${endpoint.label} answered ${http.status}`;
  switch (http.status) {
    case 401:
      return new ApexError(
        ErrorCode.LLM_UNAVAILABLE,
        `${said}: the API key was rejected (${upstream}). Set ${EnvVar.LLM_API_KEY} to a valid key for this endpoint.`,
        { details },
      );
    case 403:
      return new ApexError(
        ErrorCode.LLM_UNAVAILABLE,
        `${said}: this key may not use model "${endpoint.model}" (${upstream}). Use a key with access, or set ${EnvVar.LLM_MODEL} to a model it may use.`,
        { details },
      );
    case 404:
      return new ApexError(
        ErrorCode.LLM_UNAVAILABLE,
        `${said}: model "${endpoint.model}" or the API path is unknown there (${upstream}). Check ${EnvVar.LLM_MODEL} and ${EnvVar.LLM_BASE_URL}.`,
        { details },
      );
    default:
      break;
  }
  if (http.status === 408 || http.status === 409 || http.status === 429 || http.status >= 500) {
    const busy = http.status === 429 ? "rate-limited the call" : "failed on its side";
    return new ApexError(ErrorCode.LLM_UNAVAILABLE, `${said}: it ${busy} (${upstream}). Try again later.`, {
      details,
      retryable: true,
    });
  }
  return new ApexError(ErrorCode.INVALID_REQUEST, `${said}: it rejected the request (${upstream}).`, { details });
}

function httpFailure(error: unknown): HttpFailure | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { status, headers, message, error: body } = error as Record<string, unknown>;
  if (typeof status !== "number") return undefined;
  const readable = typeof headers === "object" && headers !== null && typeof (headers as Headers).get === "function";
  const said = bodyMessage(body) ?? (typeof message === "string" ? message : undefined);
  return { status, headers: readable ? (headers as Headers) : undefined, message: said ?? `HTTP ${status}` };
}

/** The provider's own words: OpenAI's body is `{message}`, Anthropic's `{error: {message}}`. */
function bodyMessage(body: unknown): string | undefined {
  for (let current = body, depth = 0; depth < 3 && typeof current === "object" && current !== null; depth++) {
    const { message, error } = current as Record<string, unknown>;
    if (typeof message === "string" && message !== "") return message;
    current = error;
  }
  return undefined;
}

function unreachable(error: unknown, endpoint: Endpoint): ApexError {
  return new ApexError(
    ErrorCode.LLM_UNAVAILABLE,
    `${endpoint.label} could not be reached at ${endpoint.baseURL} (${rootCause(error)}). Check ${EnvVar.LLM_BASE_URL} and that the server is running.`,
    { cause: error, retryable: true, details: { retryAfterMs: undefined } },
  );
}

/** The innermost cause's code or message: fetch hides ECONNREFUSED two `cause`s down. */
function rootCause(error: unknown): string {
  let current: unknown = error;
  let said = "unknown network error";
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    said = typeof code === "string" ? code : current.message || said;
    current = current.cause;
  }
  return said;
}

/** The server's requested wait: `retry-after-ms`, or `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(headers: HttpFailure["headers"], now: number = Date.now()): number | undefined {
  if (headers === undefined) return undefined;
  const ms = Number(headers.get("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get("retry-after");
  if (raw === null || raw.trim() === "") return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
