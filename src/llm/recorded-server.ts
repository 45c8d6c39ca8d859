import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// Test double of the providers' HTTP APIs, used only by the llm tests: a real server on 127.0.0.1 speaking the OpenAI
// Chat Completions and Anthropic Messages wire protocols, answering with recorded replies (fixtures/*.json). It checks
// what the real APIs check first (the key, Anthropic's version header, the model), so those failures are real too.

export const ROUTES = {
  openaiChat: "POST /v1/chat/completions",
  openaiModels: "GET /v1/models",
  anthropicMessages: "POST /v1/messages",
} as const;
export type Route = (typeof ROUTES)[keyof typeof ROUTES];

/** One recorded reply: status, headers, JSON body, and an optional delay before it is sent. */
export interface RecordedReply {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
  delayMs?: number;
  /** Drop the connection instead of answering: a network failure as the client sees it (status and body unused). */
  hangUp?: boolean;
}

/** A connection dropped mid-request, as a reset by a proxy or a crashed server looks to the client. */
export const HANG_UP: RecordedReply = { status: 0, body: null, hangUp: true };

export interface ReceivedRequest {
  route: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** True when the client hung up before the reply was sent (an aborted or timed-out call). */
  abandoned: boolean;
}

export interface RecordedServerOptions {
  /** The key both protocols accept; null lets OpenAI routes through without one (a local Ollama). */
  apiKey: string | null;
  /** Models that exist; any other gets the recorded 404. */
  models: readonly string[];
}

export interface RecordedServer {
  /** e.g. http://127.0.0.1:43121 (OpenAI clients add /v1 themselves, Anthropic's SDK does). */
  url: string;
  requests: ReceivedRequest[];
  /** Queues replies for a route, served in order, one per request. */
  reply(route: Route, ...replies: RecordedReply[]): void;
  /** Replies queued and not yet served. */
  pending(): number;
  /** Forgets queued replies and received requests, so one server can serve a whole test file. */
  reset(): void;
  close(): Promise<void>;
}

/** A recorded reply from src/llm/fixtures/<name>.json. */
export function fixture(name: string, changes: Partial<RecordedReply> = {}): RecordedReply {
  const text = readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8");
  return { ...(JSON.parse(text) as RecordedReply), ...changes };
}

export async function startRecordedServer(options: RecordedServerOptions): Promise<RecordedServer> {
  const queues = new Map<string, RecordedReply[]>();
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const route = `${req.method ?? ""} ${(req.url ?? "").split("?")[0] ?? ""}`;
      const raw = Buffer.concat(chunks).toString("utf8");
      const received: ReceivedRequest = { route, headers: req.headers, body: raw === "" ? undefined : JSON.parse(raw), abandoned: false };
      requests.push(received);
      const reply = gatekeeper(route, received, options) ?? queues.get(route)?.shift() ?? notQueued(route);
      if (reply.hangUp) {
        req.socket.destroy();
        return;
      }
      send(res, reply, () => {
        received.abandoned = true;
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply(route, ...replies) {
      queues.set(route, [...(queues.get(route) ?? []), ...replies]);
    },
    pending: () => [...queues.values()].reduce((sum, queue) => sum + queue.length, 0),
    reset() {
      queues.clear();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** What the real APIs answer before looking at the request: wrong key, missing version header, unknown model. */
function gatekeeper(route: string, request: ReceivedRequest, options: RecordedServerOptions): RecordedReply | undefined {
  const model = (request.body as { model?: unknown } | undefined)?.model;
  if (route === ROUTES.anthropicMessages) {
    if (request.headers["x-api-key"] !== options.apiKey) return fixture("anthropic-error-401");
    if (request.headers["anthropic-version"] === undefined) return fixture("anthropic-error-400-version");
    if (typeof model !== "string" || !options.models.includes(model)) return fixture("anthropic-error-404-model");
    return undefined;
  }
  if (route === ROUTES.openaiChat || route === ROUTES.openaiModels) {
    if (options.apiKey !== null && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return fixture("openai-error-401");
    }
    if (route === ROUTES.openaiChat && (typeof model !== "string" || !options.models.includes(model))) {
      return fixture("openai-error-404-model");
    }
  }
  return undefined;
}

function notQueued(route: string): RecordedReply {
  return { status: 418, body: { error: { message: `recorded-server: no reply queued for ${route}` } } };
}

function send(res: ServerResponse, reply: RecordedReply, onAbandoned: () => void): void {
  const write = (): void => {
    res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
    res.end(JSON.stringify(reply.body));
  };
  if (!reply.delayMs) return write();
  const timer = setTimeout(write, reply.delayMs);
  res.on("close", () => {
    if (res.writableFinished) return;
    clearTimeout(timer);
    onAbandoned();
  });
}

/** A port on 127.0.0.1 that nothing listens on: an endpoint that refuses connections. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => probe.close((error) => (error ? reject(error) : resolve())));
  return port;
}
