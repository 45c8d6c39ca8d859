import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import websocket from "@fastify/websocket";
import type { FastifyInstance } from "fastify";
import type { RawData, WebSocket } from "ws";
import type { Bus } from "../bus/bus.ts";
import { ApexError, isApexError } from "../protocol/errors.ts";
import { ControlFrame, ErrorCode, PROTOCOL_VERSION, RoutePath, WS_BEARER_PREFIX, WS_SUBPROTOCOL } from "../protocol/names.ts";
import { isTransientDatabaseError } from "../store/database-outage.ts";
import type { EventLog } from "../store/event-log.ts";
import type { RunRepository } from "../store/runs.ts";
import type { InterruptBroker } from "../runtime/interrupts.ts";
import type { ApexMetrics } from "../telemetry/metrics.ts";
import { Authenticator } from "./auth.ts";
import { RateLimiter } from "./rate-limiter.ts";
import type { RunLauncher } from "./run-launcher.ts";
import { closeReason, EventTexts, WsConnection } from "./ws-connection.ts";

// The WebSocket gateway at /ws: authenticates the upgrade (subprotocol `bearer.<token>` or the Authorization header;
// close 1008 otherwise), greets with `welcome`, hands frames to the socket's WsConnection, rate-limits per user, caps
// the sockets of one account on this node (1013 past it), closes an account's sockets (1008) when any node announces
// it disabled, and pings every socket each heartbeat, terminating the ones that did not answer the previous ping.

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
  /** Sockets one account may hold open on this node; past it an upgrade is closed 1013. */
  maxSocketsPerUser: number;
  /** The open sockets are counted in this node's metrics. */
  metrics: Pick<ApexMetrics, "trackConnections">;
  onError: (error: unknown) => void;
}

const CLOSE_POLICY = 1008;
/** "Going away": the server shuts down; the client reconnects (to another node) and resumes with after_seq. */
const CLOSE_GOING_AWAY = 1001;
/** How long a shutdown waits for clients to answer the close handshake before cutting their sockets. */
const CLOSE_HANDSHAKE_MS = 1000;
/** "Try again later": the account holds its allowed number of sockets here, or its sign-in could not be checked (a
 * store is unreachable); the UI retries with backoff. */
const CLOSE_TRY_AGAIN_LATER = 1013;
/** "Internal error": the server failed to check the sign-in for a reason of its own; the UI retries with backoff. */
const CLOSE_INTERNAL_ERROR = 1011;
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

/**
 * The reason a socket is closed with when its sign-in fails: an ApexError's own message, never text copied from another
 * error (a database error quotes its SQL and values).
 */
function signInFailure(error: unknown): string {
  const own = isApexError(error) && !(error.cause instanceof Error && error.cause.message === error.message);
  return closeReason(own ? error.message : "The server could not check your sign-in just now; reconnect in a moment.");
}

/**
 * 1008 only when the credential itself was refused (the UI then asks to sign in again). When it could not be checked —
 * a store unreachable — 1013 (try again later), and 1011 for any other failure: the UI reconnects with backoff.
 */
function signInCloseCode(error: unknown): number {
  if (isApexError(error) && (error.code === ErrorCode.UNAUTHORIZED || error.code === ErrorCode.FORBIDDEN)) return CLOSE_POLICY;
  if (isTransientDatabaseError(error) || (isApexError(error) && error.retryable)) return CLOSE_TRY_AGAIN_LATER;
  return CLOSE_INTERNAL_ERROR;
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
  const deps = { ...options, texts: new EventTexts(), account: (userId: string) => options.auth.current(userId) };
  options.metrics.trackConnections(() => sockets.size);
  /** The open connections of each account on this node: for the socket cap and for closing a disabled account's. */
  const byUser = new Map<string, Set<WsConnection>>();
  // Any node may disable an account (or change its role): each connection of it here reads the account again.
  const stopNotices = await options.bus.onNotice((notice) => {
    for (const connection of byUser.get(notice.user_id) ?? []) connection.recheck().catch(() => undefined);
  });
  fastify.addHook("onClose", async () => stopNotices());

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
        const held = byUser.get(user.id) ?? new Set<WsConnection>();
        if (held.size >= options.maxSocketsPerUser) {
          const reason = `This account has ${options.maxSocketsPerUser} connections open here already; close a tab and retry.`;
          socket.close(CLOSE_TRY_AGAIN_LATER, closeReason(reason));
          return undefined;
        }
        const connection = new WsConnection(socket, user, deps);
        held.add(connection);
        byUser.set(user.id, held);
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
        socket.close(signInCloseCode(error), signInFailure(error));
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
      void chain.then((connection) => {
        if (connection === undefined) return;
        connection.close();
        const held = byUser.get(connection.user.id);
        held?.delete(connection);
        if (held?.size === 0) byUser.delete(connection.user.id);
      });
    });
    socket.on("error", options.onError);
  });
}
