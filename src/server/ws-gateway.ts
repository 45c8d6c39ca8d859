import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import websocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import type { RawData, WebSocket } from "ws";
import type { Bus } from "../bus/bus.ts";
import { ApexError, toApexError } from "../protocol/errors.ts";
import { ControlFrame, ErrorCode, PROTOCOL_VERSION, RoutePath, WS_BEARER_PREFIX, WS_SUBPROTOCOL } from "../protocol/names.ts";
import type { EventLog } from "../store/event-log.ts";
import type { RunRepository } from "../store/runs.ts";
import type { InterruptBroker } from "../runtime/interrupts.ts";
import type { ApexMetrics } from "../telemetry/metrics.ts";
import { Authenticator } from "./auth.ts";
import { RateLimiter } from "./rate-limiter.ts";
import type { RunLauncher } from "./run-launcher.ts";
import { EventTexts, WsConnection } from "./ws-connection.ts";

// The WebSocket gateway at /ws: authenticates the upgrade (subprotocol `bearer.<token>` or the Authorization header;
// close 1008 otherwise), greets with `welcome`, hands frames to the socket's WsConnection, rate-limits per user, and
// pings every socket each heartbeat, terminating the ones that did not answer the previous ping.

export interface WsGatewayOptions {
  auth: Authenticator;
  launcher: RunLauncher;
  bus: Bus;
  log: EventLog;
  runs: RunRepository;
  interrupts: Pick<InterruptBroker, "answer">;
  frameLimitBytes: number;
  heartbeatMs: number;
  socketByteBudget: number;
  rateLimitPerMinute: number;
  /** The open sockets are counted in this node's metrics. */
  metrics: Pick<ApexMetrics, "trackConnections">;
  onError: (error: unknown) => void;
}

const CLOSE_POLICY = 1008;
/** "Going away": the server shuts down; the client reconnects (to another node) and resumes with after_seq. */
const CLOSE_GOING_AWAY = 1001;
/** How long a shutdown waits for clients to answer the close handshake before cutting their sockets. */
const CLOSE_HANDSHAKE_MS = 1000;
/** A close reason must fit in 123 bytes. */
const MAX_REASON_BYTES = 120;
/** Frames past the limit get an `error` and the socket stays open; only far bigger ones are cut by ws itself. */
const HARD_PAYLOAD_FACTOR = 16;

function offeredProtocols(request: IncomingMessage): string[] {
  const header = request.headers["sec-websocket-protocol"];
  return (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((p) => p.trim()).filter((p) => p !== "");
}

/** The credential from the `bearer.<token>` subprotocol, else from `Authorization: Bearer <token>`. */
function credentialOf(request: IncomingMessage): string | undefined {
  const fromProtocol = offeredProtocols(request).find((p) => p.startsWith(WS_BEARER_PREFIX));
  if (fromProtocol !== undefined) return fromProtocol.slice(WS_BEARER_PREFIX.length);
  return Authenticator.bearer(request.headers.authorization);
}

function closeReason(message: string): string {
  const bytes = Buffer.from(message, "utf8");
  return bytes.byteLength <= MAX_REASON_BYTES ? message : `${bytes.subarray(0, MAX_REASON_BYTES - 3).toString("utf8").replace(/\uFFFD$/, "")}...`;
}

function closeGoingAway(socket: WebSocket): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const cut = setTimeout(() => socket.terminate(), CLOSE_HANDSHAKE_MS);
    socket.once("close", () => {
      clearTimeout(cut);
      resolve();
    });
    socket.close(CLOSE_GOING_AWAY, "The server is shutting down; reconnect and resume.");
  });
}

export async function wsGateway(fastify: FastifyInstance, options: WsGatewayOptions): Promise<void> {
  const alive = new WeakMap<WebSocket, boolean>();
  const sockets = new Set<WebSocket>();
  const limiter = new RateLimiter(options.rateLimitPerMinute);
  // One per node: every socket following a run sends the text its first follower serialised.
  const deps = { ...options, texts: new EventTexts() };
  options.metrics.trackConnections(() => sockets.size);

  await fastify.register(websocket, {
    options: {
      maxPayload: options.frameLimitBytes * HARD_PAYLOAD_FACTOR,
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    },
    preClose: async () => {
      await Promise.all([...sockets].map((socket) => closeGoingAway(socket)));
      fastify.websocketServer.close();
    },
  });

  const heartbeat = setInterval(() => {
    for (const socket of sockets) {
      if (alive.get(socket) === false) {
        socket.terminate();
        continue;
      }
      alive.set(socket, false);
      socket.ping();
    }
    limiter.prune();
  }, options.heartbeatMs);
  heartbeat.unref();
  fastify.addHook("onClose", async () => clearInterval(heartbeat));

  async function serve(connection: WsConnection, data: RawData, isBinary: boolean): Promise<void> {
    const verdict = limiter.hit(connection.user.id);
    if (verdict === "ok") {
      await connection.handle(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data), isBinary);
      return;
    }
    const limited = new ApexError(ErrorCode.RATE_LIMITED, "Too many frames; slow down and try again in a minute.");
    connection.sendError(undefined, limited);
    if (verdict === "abusive") connection.closeSocket(CLOSE_POLICY, closeReason(limited.message));
  }

  fastify.get(RoutePath.WS, { websocket: true }, (socket, request) => {
    sockets.add(socket);
    alive.set(socket, true);
    socket.on("pong", () => alive.set(socket, true));
    // Frames that arrive while the token is checked wait in this chain, in order.
    let chain: Promise<WsConnection | undefined> = options.auth.authenticate(credentialOf(request.raw)).then(
      (user) => {
        const connection = new WsConnection(socket, user, deps);
        connection.send({
          type: ControlFrame.WELCOME,
          protocol: PROTOCOL_VERSION,
          connection_id: randomUUID(),
          heartbeat_ms: options.heartbeatMs,
          server_time: new Date().toISOString(),
        });
        return connection;
      },
      (error: unknown) => {
        socket.close(CLOSE_POLICY, closeReason(toApexError(error, ErrorCode.UNAUTHORIZED).message));
        return undefined;
      },
    );
    socket.on("message", (data: RawData, isBinary: boolean) => {
      chain = chain.then(async (connection) => {
        if (connection === undefined) return undefined;
        try {
          await serve(connection, data, isBinary);
        } catch (error) {
          options.onError(error);
        }
        return connection;
      });
    });
    socket.on("close", () => {
      sockets.delete(socket);
      void chain.then((connection) => connection?.close());
    });
    socket.on("error", options.onError);
  });
}
