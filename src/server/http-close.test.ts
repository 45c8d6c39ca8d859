import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { trackConnections } from "./http-close.ts";

// Real sockets on a real node HTTP server: what may hold a graceful close, and what may not.

const LONG_GRACE_MS = 10 * 60_000;
const servers: Server[] = [];

afterEach(() => {
  for (const server of servers.splice(0)) server.closeAllConnections();
});

async function listen(handler: Parameters<typeof createServer>[1], graceMs: number) {
  const server = createServer(handler);
  servers.push(server);
  const closer = trackConnections(server, graceMs);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const close = () => closer.close(() => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))));
  return { port, close };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

const closedBy = (socket: Socket) => new Promise<void>((resolve) => socket.once("close", () => resolve()));

describe("closing the HTTP server", () => {
  it("does not wait for a connection that never sent a request (a browser's preconnect)", async () => {
    const { port, close } = await listen((_request, response) => response.end("ok"), LONG_GRACE_MS);
    const preconnected = await open(port);
    const gone = closedBy(preconnected);
    // Without the tracker this close waits until the client hangs up: node counts the socket as busy, not idle.
    await close();
    await gone;
    expect(preconnected.destroyed).toBe(true);
  });

  it("lets a request in flight finish and answers it before closing", async () => {
    let release: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (release = resolve));
    const { port, close } = await listen((_request, response) => void answered.then(() => response.end("finished")), LONG_GRACE_MS);
    const reply = fetch(`http://127.0.0.1:${port}/slow`).then((r) => r.text());
    // Wait for the request to reach the handler, then start closing while it is still open.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = close();
    release();
    expect(await reply).toBe("finished");
    await closing;
  });

  it("cuts a client stuck mid-request once the grace is over", async () => {
    const { port, close } = await listen((_request, response) => response.end("ok"), 200);
    const stuck = await open(port);
    const gone = closedBy(stuck);
    stuck.write("GET /never-finished HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    await new Promise((resolve) => setTimeout(resolve, 50));
    await close();
    await gone;
    expect(stuck.destroyed).toBe(true);
  });
});
