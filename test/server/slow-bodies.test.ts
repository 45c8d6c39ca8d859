// Slow clients over a real server (issue 13, finding 7): `POST /api/usage` sockets trickling one byte a second are
// answered 408 upload_too_slow and closed once a rate window passes (scaled down to 2 s here), their temp files
// removed; an upload refused before its body is read (401 without a token, 413 past the limit) has its connection
// closed after the answer instead of being read for ever; headers that trickle in are cut by the headers timeout. An
// upload above the minimum rate still goes through.
import { readdir } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvVar, ErrorCode, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { HEALTH_P99_BAR_MS, probeWhile } from "./health-probe.ts";
import { startSignedIn, type TestServer } from "./test-server.ts";

const USER = { email: "slow@example.com", password: "slow-password-12" };
const WINDOW_MS = 2_000;
const MIN_BYTES = 1_024;
const LIMIT = 8_192;
const SOCKETS = 20;
const HEADERS_TIMEOUT_MS = 1_000;
/** Far past the window and the linger after an answer, short of the test's timeout. */
const CLOSED_WITHIN_MS = 20_000;

interface Trickle {
  /** Everything the server answered, once the server closed the socket. */
  closed: Promise<string>;
  socket: Socket;
}

/** A raw HTTP/1.1 upload that sends its headers, `head` at once, then one byte every `everyMs` until the server closes. */
function trickle(url: string, headers: Record<string, string>, head = "", everyMs = 1_000): Trickle {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let answer = "";
  const lines = Object.entries({ host: `${hostname}:${port}`, "content-type": "application/x-ndjson", ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(`POST ${RoutePath.USAGE} HTTP/1.1\r\n${lines.join("")}\r\n${head}`);
  const drip = setInterval(() => socket.write("x"), everyMs);
  socket.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")));
  socket.on("error", () => undefined); // a write after the server closed: EPIPE / ECONNRESET, expected
  const closed = new Promise<string>((resolve) =>
    socket.once("close", () => {
      clearInterval(drip);
      resolve(answer);
    }),
  );
  return { closed, socket };
}

/** The socket's answer once the server closed it; fails (and cuts the socket) when it stays open too long. */
async function closedByServer(t: Trickle): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      t.socket.destroy();
      reject(new Error(`the server kept the socket open ${CLOSED_WITHIN_MS} ms`));
    }, CLOSED_WITHIN_MS);
  });
  try {
    return await Promise.race([t.closed, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The temp files left once the handlers are done: a 413 is answered before its handler's cleanup has finished. */
async function uploadsLeft(dataDir: string): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const left = await readdir(join(dataDir, "uploads")).catch(() => []);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);

describe.each(storeTargets())("slow upload bodies on $name", (target) => {
  let server: TestServer;
  let token = "";

  beforeAll(async () => {
    ({ server, token } = await startSignedIn(target, USER, {
      [EnvVar.UPLOAD_RATE_WINDOW_MS]: String(WINDOW_MS),
      [EnvVar.UPLOAD_MIN_RATE_BYTES]: String(MIN_BYTES),
      [EnvVar.UPLOAD_LIMIT_BYTES]: String(LIMIT),
      [EnvVar.HEADERS_TIMEOUT_MS]: String(HEADERS_TIMEOUT_MS),
      // One user's uploads at once are capped too (upload-slots); this suite measures the body rate alone.
      [EnvVar.MAX_CONCURRENT_UPLOADS]: String(SOCKETS * 2),
    }));
  });

  afterAll(async () => {
    await server.stop();
  });

  it(`answers ${SOCKETS} trickling uploads 408 upload_too_slow, closes them and removes their temp files`, async () => {
    const { outcome, health } = await probeWhile(server.url, () => {
      const sockets = Array.from({ length: SOCKETS }, () => trickle(server.url, { authorization: `Bearer ${token}`, "content-length": String(LIMIT) }));
      return Promise.all(sockets.map(closedByServer));
    });
    if (!outcome.ok) throw outcome.error;
    const answers = outcome.value;
    expect(health.p99_ms, JSON.stringify(health)).toBeLessThan(HEALTH_P99_BAR_MS);
    for (const answer of answers) {
      expect(statusOf(answer), answer).toBe(408);
      expect(answer).toContain(ErrorCode.UPLOAD_TOO_SLOW);
      expect(answer.toLowerCase()).toContain("connection: close");
    }
    expect(await uploadsLeft(server.dataDir)).toEqual([]);
  }, 60_000);

  it("closes a connection whose headers trickle in, once the headers timeout passes", async () => {
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    socket.on("error", () => undefined);
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")));
    socket.write(`GET ${RoutePath.HEALTH} HTTP/1.1\r\nhost: ${hostname}\r\nx-slow: `);
    const drip = setInterval(() => socket.write("x"), 100);
    const closed = new Promise<string>((resolve) => socket.once("close", () => resolve(answer)));
    try {
      expect(statusOf(await closedByServer({ closed, socket }))).toBe(408);
    } finally {
      clearInterval(drip);
    }
  }, 60_000);

  it("closes the connection of an unauthenticated upload after its 401", async () => {
    const answer = await closedByServer(trickle(server.url, { "content-length": String(LIMIT) }));
    expect(statusOf(answer)).toBe(401);
  }, 60_000);

  it("closes the connection of an upload past the limit after its 413, declared or found mid-body", async () => {
    const declared = await closedByServer(trickle(server.url, { authorization: `Bearer ${token}`, "content-length": String(LIMIT + 1) }));
    expect(statusOf(declared)).toBe(413);
    const chunk = "a".repeat(LIMIT + 10);
    const streamed = await closedByServer(trickle(server.url, { authorization: `Bearer ${token}`, "transfer-encoding": "chunked" }, `${chunk.length.toString(16)}\r\n${chunk}\r\n`));
    expect(statusOf(streamed)).toBe(413);
    expect(await uploadsLeft(server.dataDir)).toEqual([]);
  }, 60_000);

  it("accepts an upload slower than a window but above the minimum rate", async () => {
    const line = (i: number) => `${JSON.stringify({ id: `r${i}`, timestamp: "2026-01-01T00:00:00Z", model: "gpt-4o-mini", input_tokens: 10, output_tokens: 5 })}\n`;
    const body = Array.from({ length: 60 }, (_, i) => line(i)).join("");
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    const head = [`POST ${RoutePath.USAGE}?format=canonical HTTP/1.1`, `host: ${hostname}:${port}`, `authorization: Bearer ${token}`, `content-length: ${body.length}`, "connection: close"];
    socket.write(`${head.join("\r\n")}\r\n\r\n`);
    // 750 bytes every 500 ms: 3000 bytes in each 2 s window, three times the minimum, over 4 s in all.
    for (let offset = 0; offset < body.length; offset += 750) {
      socket.write(body.slice(offset, offset + 750));
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await closed;
    expect(statusOf(answer), answer).toBe(200);
  }, 60_000);
});
