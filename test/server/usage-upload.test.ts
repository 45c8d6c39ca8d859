// `POST /api/usage` and `GET /api/usage/summary` over a real server (PGlite always, PostgreSQL when DATABASE_URL is
// set): an uploaded file becomes the caller's own data (a run over /ws finds its waste), bad lines are reported by
// number while the rest is kept, a second upload adds nothing, and a body past the limit is refused with 413.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateWorkload } from "../../src/analytics/generator/workload.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import { ClientCommand, ControlFrame, EnvVar, ErrorCode, EventType, RoutePath } from "../../src/protocol/names.ts";
import { ReportSchema } from "../../src/protocol/report.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { get, post, startServer, type Reply, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const ALICE = { email: "alice@example.com", password: "alice-password-1" };
const MALLORY = { email: "mallory@example.com", password: "mallory-password-1" };
const LIMIT = 4096;
const book = new PriceBook();

async function upload(url: string, token: string | undefined, body: string | Uint8Array | ReadableStream<Uint8Array>, query = ""): Promise<Reply> {
  const streamed = body instanceof ReadableStream;
  const response = await fetch(`${url}${RoutePath.USAGE}${query}`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson", ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body,
    ...(streamed ? { duplex: "half" } : {}),
  } as RequestInit);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A body sent in chunks with no Content-Length (chunked transfer), as a client streaming a big file does. */
function chunked(text: string, chunkBytes = 1024): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkBytes));
      offset += chunkBytes;
    },
  });
}

const codeOf = (reply: Reply) => (reply.body.error as { code: string } | undefined)?.code;

/**
 * Temporary upload files still there once the server is done. A request the client abandoned may still be in its
 * handler (authenticating, say) when the client has given up, so its file can appear and go later: wait for quiet.
 */
async function uploadsLeft(dataDir: string): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  let quietSince = Date.now();
  for (;;) {
    const left = await readdir(join(dataDir, "uploads"));
    if (left.length > 0) quietSince = Date.now();
    if (Date.now() - quietSince >= 500 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(storeTargets())("usage upload on $name", (target) => {
  let server: TestServer;
  let small: TestServer;
  let dataDir = "";
  let smallDataDir = "";
  let alice = { id: "", token: "" };
  let malloryToken = "";
  const lines: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "apex-upload-"));
    smallDataDir = await mkdtemp(join(tmpdir(), "apex-upload-small-"));
    server = await startServer(target, { [EnvVar.DATA_DIR]: dataDir });
    small = await startServer(target, { [EnvVar.DATA_DIR]: smallDataDir, [EnvVar.UPLOAD_LIMIT_BYTES]: String(LIMIT) });
    const aliceId = (await server.app.auth.createUser(ALICE.email, ALICE.password)).id;
    alice = { id: aliceId, token: String((await post(server.url + RoutePath.AUTH_LOGIN, ALICE)).body.token) };
    await server.app.auth.createUser(MALLORY.email, MALLORY.password);
    malloryToken = String((await post(server.url + RoutePath.AUTH_LOGIN, MALLORY)).body.token);
    const workload = generateWorkload({ scenario: "saas", records: 800, days: 14, seed: 5, price: (r) => book.price(r).computed_cost_usd });
    for (const record of workload.records()) lines.push(JSON.stringify(record));
  });

  afterAll(async () => {
    await server.stop();
    await small.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(smallDataDir, { recursive: true, force: true });
  });

  it("ingests a gzip upload into the caller's own data, which a run over /ws then analyses", async () => {
    const empty = await get(server.url + RoutePath.USAGE_SUMMARY, alice.token);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ records: 0, models: [] });

    const gz = gzipSync(`${lines.join("\n")}\n`);
    const uploaded = await upload(server.url, alice.token, gz);
    expect(uploaded.status).toBe(200);
    expect(uploaded.body).toMatchObject({
      corpus: "default",
      format: "canonical",
      records_read: lines.length,
      ingested: lines.length,
      duplicates: 0,
      rejected: 0,
      rejections: [],
      unpriced_models: [],
      received_bytes: gz.length,
    });

    const summary = await get(server.url + RoutePath.USAGE_SUMMARY, alice.token);
    expect(summary.body).toMatchObject({ records: lines.length, period: { from: expect.any(String), to: expect.any(String) } });
    const models = summary.body.models as { model: string; records: number }[];
    expect(models.reduce((sum, m) => sum + m.records, 0)).toBe(lines.length);
    expect(summary.body.corpora).toEqual([expect.objectContaining({ corpus: "default", records: lines.length })]);
    expect((await get(server.url + RoutePath.USAGE_SUMMARY, malloryToken)).body).toMatchObject({ records: 0, models: [], corpora: [] });

    const client = TestClient.open(server.url, alice.token);
    try {
      await client.next((f) => f.type === ControlFrame.WELCOME);
      client.send({ type: ClientCommand.USER_MESSAGE, id: "u1", text: "Where can I cut my LLM costs?" });
      const ack = await client.next((f) => f.id === "u1");
      expect(ack.type).toBe(ControlFrame.ACK);
      const events = await client.runToEnd(String(ack.run_id));
      expect(checkRunInvariants(events)).toEqual([]);
      const final = events.find((e) => e.type === EventType.FINAL_REPORT);
      const report = ReportSchema.parse(final?.type === EventType.FINAL_REPORT ? final.data.report : undefined);
      expect(report.totals.calls).toBeGreaterThan(0);
      expect(report.opportunities.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
    expect(await readdir(join(dataDir, "uploads"))).toEqual([]);
  });

  it("adds nothing when the same file is uploaded again", async () => {
    const again = await upload(server.url, alice.token, chunked(`${lines.join("\n")}\n`, 64 * 1024));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ records_read: lines.length, ingested: 0, duplicates: lines.length });
    expect((await get(server.url + RoutePath.USAGE_SUMMARY, alice.token)).body.records).toBe(lines.length);
  });

  it("reports each bad line by number and keeps the others, in the corpus asked for", async () => {
    const good = lines.slice(0, 3).map((line) => JSON.stringify({ ...(JSON.parse(line) as object), id: `${(JSON.parse(line) as { id: string }).id}-b` }));
    const noModel = JSON.stringify({ ...(JSON.parse(good[0] ?? "{}") as object), id: "bad-1", input_tokens: -5 });
    const file = [good[0], "{ this is not json", good[1], noModel, good[2]].join("\n");
    const reply = await upload(server.url, malloryToken, file, "?format=canonical&corpus=trial");
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ corpus: "trial", records_read: 3, ingested: 3, rejected: 2 });
    const rejections = reply.body.rejections as { line: number; reason: string }[];
    expect(rejections.map((r) => r.line)).toEqual([2, 4]);
    expect(rejections[1]?.reason).toContain("input_tokens");
    const theirs = await get(`${server.url}${RoutePath.USAGE_SUMMARY}?corpus=trial`, malloryToken);
    expect(theirs.body).toMatchObject({ corpus: "trial", records: 3 });
    // Alice's data is untouched by Mallory's upload, and hers has no "trial" corpus
    expect((await get(`${server.url}${RoutePath.USAGE_SUMMARY}?corpus=trial`, alice.token)).body.records).toBe(0);
  });

  it("refuses an upload past the limit with 413 naming the limit, declared or streamed, and keeps nothing", async () => {
    const big = `${lines.slice(0, 40).join("\n")}\n`;
    expect(big.length).toBeGreaterThan(LIMIT);
    const id = (await small.app.auth.createUser(ALICE.email, ALICE.password)).id;
    const token = String((await post(small.url + RoutePath.AUTH_LOGIN, ALICE)).body.token);
    const declared = await upload(small.url, token, big);
    expect(declared.status).toBe(413);
    expect(codeOf(declared)).toBe(ErrorCode.UPLOAD_TOO_LARGE);
    expect((declared.body.error as { message: string }).message).toContain(`${LIMIT} bytes`);
    const streamed = await upload(small.url, token, chunked(big, 1024));
    expect(streamed.status).toBe(413);
    expect((streamed.body.error as { message: string }).message).toContain(`${LIMIT} bytes`);
    expect(await small.app.usage.count({ owner: id })).toBe(0);
    expect(await readdir(join(smallDataDir, "uploads"))).toEqual([]);
    // under the limit, the same server takes it
    const fits = await upload(small.url, token, `${lines.slice(0, 3).join("\n")}\n`);
    expect(fits.status).toBe(200);
    expect(fits.body.ingested).toBe(3);
  });

  it("removes the temporary file of an upload the client abandons, and keeps serving", async () => {
    const abort = new AbortController();
    const bytes = new TextEncoder().encode(`${lines.join("\n")}\n`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= 8) {
          abort.abort();
          return;
        }
        controller.enqueue(bytes.slice(sent * 4096, (sent + 1) * 4096));
        sent += 1;
        await new Promise((resolve) => setTimeout(resolve, 10));
      },
    });
    await expect(
      fetch(server.url + RoutePath.USAGE, {
        method: "POST",
        headers: { authorization: `Bearer ${alice.token}` },
        body,
        duplex: "half",
        signal: abort.signal,
      } as RequestInit),
    ).rejects.toThrow();
    expect(await uploadsLeft(dataDir)).toEqual([]);
    expect((await get(server.url + RoutePath.USAGE_SUMMARY, alice.token)).body.records).toBe(lines.length);
  });

  it("answers a file it cannot read with 422 and a request it cannot take with 400 or 401", async () => {
    const empty = await upload(server.url, alice.token, "");
    expect(empty.status).toBe(422);
    expect(codeOf(empty)).toBe(ErrorCode.NO_USAGE_DATA);
    const prose = await upload(server.url, alice.token, "hello\nworld\n");
    expect(prose.status).toBe(422);
    expect(codeOf(prose)).toBe(ErrorCode.UNKNOWN_FORMAT);
    const format = await upload(server.url, alice.token, lines[0] ?? "", "?format=excel");
    expect(format.status).toBe(400);
    expect(codeOf(format)).toBe(ErrorCode.INVALID_REQUEST);
    expect((await upload(server.url, alice.token, lines[0] ?? "", "?corpus=../etc")).status).toBe(400);
    expect((await upload(server.url, undefined, lines[0] ?? "")).status).toBe(401);
    expect((await get(server.url + RoutePath.USAGE_SUMMARY)).status).toBe(401);
    expect(await uploadsLeft(dataDir)).toEqual([]);
  });
});
