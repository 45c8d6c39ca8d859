// Closing the HTTP side of a node without letting one client hold the shutdown. Node's graceful close waits for every
// open connection, and its `closeIdleConnections` only counts connections that have finished a request: a socket a
// browser opened ahead of time (Chromium preconnects) and never used keeps the process alive until the browser drops
// it, minutes later. So: connections that never carried a request or an upgrade are destroyed as the close starts, the
// requests in flight get a grace period (and their connections close as soon as they are answered, instead of staying
// open for keep-alive), and whatever is left after it (a client stuck mid-request) is cut.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";

/** How long the requests in flight may take to finish once the server stops accepting. */
const HTTP_CLOSE_GRACE_MS = 5_000;
/** How long a connection whose request body was left unread may linger after its answer before it is cut. */
const UNREAD_BODY_LINGER_MS = 1_000;

export interface HttpCloser {
  /** Runs `close` (the framework's graceful close), destroying unused sockets at once and the rest after the grace. */
  close(close: () => Promise<void>): Promise<void>;
}

/** Watches `server`'s connections from now on; call before it listens. */
export function trackConnections(server: Server, graceMs = HTTP_CLOSE_GRACE_MS): HttpCloser {
  const unused = new Set<Socket>();
  let closing = false;
  server.on("connection", (socket: Socket) => {
    unused.add(socket);
    socket.once("close", () => unused.delete(socket));
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    unused.delete(request.socket);
    response.once("finish", () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
      // Answered before its body was read (see closeOnUnreadBody): the client gets a moment to read the answer, then
      // the socket goes, whatever the client keeps sending.
      if (!request.complete) setTimeout(() => request.socket.destroy(), UNREAD_BODY_LINGER_MS).unref();
    });
  });
  server.on("upgrade", (request: IncomingMessage) => unused.delete(request.socket));

  return {
    close: async (close) => {
      closing = true;
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, graceMs);
      });
      const closed = close();
      for (const socket of unused) socket.destroy();
      unused.clear();
      try {
        await Promise.race([closed, grace]);
        await closed;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * An answer sent before its request's body was read (a 401, 413 or 408 on an upload) closes the connection: reading
 * the rest would let a trickling client keep the socket, and no next request could be framed after it anyway.
 */
export function closeOnUnreadBody(fastify: FastifyInstance): void {
  fastify.addHook("onSend", async (request, reply, payload) => {
    if (!request.raw.complete) void reply.header("connection", "close");
    return payload;
  });
}
