// Issue 13, findings 1 and 5, over a real server (PGlite always, PostgreSQL when DATABASE_URL is set): small gzip
// uploads that inflate into input the reader once spent minutes of the server's only event loop on. Each now ends
// with a typed error while `/health` stays within 100 ms (p99), and a client that goes away mid-ingest stops the work.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REJECT_RATIO } from "../../src/analytics/read-usage.ts";
import { EnvVar, ErrorCode, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { cpuShare, HEALTH_P99_BAR_MS, probeWhile } from "./health-probe.ts";
import { startSignedIn, type Reply, type SignedIn } from "./test-server.ts";

const USER = { email: "bomber@example.com", password: "bomber-password-1" };
const MIB = 1024 * 1024;
/** Lowered for the inflation bomb; every other bomb stays under it. */
const INFLATED_LIMIT = 96 * MIB;

/** `head`, then `unit` repeated to about `bytes`, then `tail`, gzipped: megabytes of text in kilobytes. */
function gzipped(head: string, unit: string, bytes: number, tail = ""): Buffer {
  return gzipSync(head + unit.repeat(Math.ceil(bytes / unit.length)) + tail, { level: 9 });
}

function goodLine(i: number): string {
  return JSON.stringify({ id: `g${i}`, timestamp: "2025-01-01T00:00:00Z", model: "gpt-4o", input_tokens: 10, output_tokens: 1 });
}

const goodLines = (n: number) => Array.from({ length: n }, (_, i) => `${goodLine(i)}\n`).join("");

// The reproductions (the quote CSV, the blanks and the unending JSON at their full sizes; the junk and the
// inflation scaled to the lowered limit), each with the answer it now ends with.
const BOMBS = [
  { name: 'a CSV whose second row opens a quote and doubles quotes for 60 MiB', body: () => gzipped('a,b\n"', '""', 60 * MIB, ",x\n"), status: 422, code: ErrorCode.UNKNOWN_FORMAT },
  { name: "40 MiB of blanks", body: () => gzipped("", " \n", 40 * MIB), status: 422, code: ErrorCode.NO_USAGE_DATA },
  { name: "a JSON string 60 MiB long with no newline", body: () => gzipped('{"a":"', "x", 60 * MIB), status: 422, code: ErrorCode.UNKNOWN_FORMAT },
  { name: "32 good lines then 80 MiB of junk lines", body: () => gzipped(goodLines(32), "junk line here\n", 80 * MIB), status: 422, code: ErrorCode.TOO_MANY_REJECTIONS },
  { name: "a gzip inflating past the server's bound", body: () => gzipped(goodLines(1), "\n", 2 * INFLATED_LIMIT), status: 413, code: ErrorCode.UPLOAD_TOO_LARGE },
];

async function upload(url: string, token: string, body: Uint8Array, signal?: AbortSignal): Promise<Reply> {
  const response = await fetch(url + RoutePath.USAGE, {
    method: "POST",
    headers: { "content-type": "application/gzip", authorization: `Bearer ${token}` },
    body,
    ...(signal === undefined ? {} : { signal }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

/** Made once for every target. */
const bodies = new Map<string, Buffer>();

describe.each(storeTargets())("upload bombs on $name", (target) => {
  let signedIn: SignedIn;

  beforeAll(async () => {
    signedIn = await startSignedIn(target, USER, { [EnvVar.UPLOAD_INFLATED_LIMIT_BYTES]: String(INFLATED_LIMIT) });
    for (const bomb of BOMBS) if (!bodies.has(bomb.name)) bodies.set(bomb.name, bomb.body());
  });

  afterAll(async () => {
    await signedIn.server.stop();
  });

  it.each(BOMBS)("ends $name with $code while /health stays responsive", async (bomb) => {
    const body = bodies.get(bomb.name) ?? Buffer.alloc(0);
    expect(body.length).toBeLessThan(MIB);
    const { outcome, health } = await probeWhile(signedIn.server.url, () => upload(signedIn.server.url, signedIn.token, body));
    if (!outcome.ok) throw outcome.error;
    expect(outcome.value.status).toBe(bomb.status);
    expect(outcome.value.body.error).toMatchObject({ code: bomb.code, message: expect.any(String) });
    expect(health.samples).toBeGreaterThan(0);
    expect(health.p99_ms, JSON.stringify(health)).toBeLessThan(HEALTH_P99_BAR_MS);
  });

  it("stops the reading when the client goes away mid-ingest: the temp file goes and the CPU falls back", async () => {
    // One record in REJECT_RATIO - 1 junk lines is never given up as junk: only the client leaving ends it early.
    const block = `${goodLine(0)}\n${"junk line here\n".repeat(REJECT_RATIO - 1)}`;
    const body = gzipSync(block.repeat(1_000_000), { level: 9 });
    const { server, userId, token } = signedIn;
    const abort = new AbortController();
    const sent = upload(server.url, token, body, abort.signal).catch((error: unknown) => error);
    expect(await until(async () => (await server.app.usage.count({ owner: userId })) > 0, 20_000)).toBe(true);
    const busy = await cpuShare(500);
    abort.abort();
    await sent;
    const uploads = join(server.dataDir, "uploads");
    expect(await until(async () => (await readdir(uploads)).length === 0, 5_000)).toBe(true);
    // Relative to the busy share, so that a loaded machine (less CPU for everyone) does not fail it.
    expect(await cpuShare(500)).toBeLessThan(Math.max(0.1, busy / 3));
    expect((await fetch(server.url + RoutePath.HEALTH)).status).toBe(200);
  });
});
