// Quota reservation and partial ingests on a real server (PGlite always, PostgreSQL when DATABASE_URL is set), each
// reproducing a finding of issue 13: a truncated gzip kept its records uncharged; a 1,000 records/day quota let one
// upload ingest 15,000 and parallel uploads many times the quota; an ingest cut short (or left by a dead node) looked
// like a complete dataset; uploads had no per-user cap; a killed server's temp uploads were never removed.
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientCommand, ControlFrame, EnvVar, ErrorCode, EventType, RoutePath, Tier } from "../../src/protocol/names.ts";
import { CorpusStatus, type CorpusListing, type UsageSummary } from "../../src/protocol/rest.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { IngestLogRepository } from "../../src/store/ingest-log.ts";
import { UserRepository } from "../../src/store/users.ts";
import { get, post, startServer, type Reply, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const QUOTA = 1_000;
const CAP = 8;
const DAY_MS = 86_400_000;

const line = (id: string) => JSON.stringify({ id, timestamp: "2026-03-01T10:00:00Z", model: "gpt-4o", input_tokens: 100, output_tokens: 10 });
const file = (prefix: string, records: number) => `${Array.from({ length: records }, (_, i) => line(`${prefix}-${i}`)).join("\n")}\n`;

async function upload(url: string, token: string, body: string | Uint8Array | ReadableStream<Uint8Array>, corpus: string): Promise<Reply & { retryAfter: string | null }> {
  const response = await fetch(`${url}${RoutePath.USAGE}?format=canonical&corpus=${corpus}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as Record<string, unknown> };
}

const errorOf = (reply: Reply) => reply.body.error as { code: string; message: string };

/** The report the chat answers `text` with. */
async function ask(url: string, token: string, text: string): Promise<{ executive_summary: string; data_quality: { warnings: string[] } }> {
  const client = TestClient.open(url, token);
  try {
    await client.next((f) => f.type === ControlFrame.WELCOME);
    client.send({ type: ClientCommand.USER_MESSAGE, id: "ask", text });
    const ack = await client.next((f) => f.id === "ask");
    const events = await client.runToEnd(String(ack.run_id));
    const final = events.find((e) => e.type === EventType.FINAL_REPORT);
    if (final?.type !== EventType.FINAL_REPORT) throw new Error(`no report for "${text}"`);
    return final.data.report;
  } finally {
    client.socket.terminate();
  }
}

describe.each(storeTargets())("ingest quota and partial corpora on $name", (target) => {
  let server: TestServer;
  const tokens = new Map<string, { id: string; token: string }>();
  const signIn = async (name: string, tier: (typeof Tier)[keyof typeof Tier] = Tier.FREE) => {
    const user = { email: `${name}@example.com`, password: `${name}-password-1` };
    const id = (await server.app.auth.createUser(user.email, user.password)).id;
    if (tier !== Tier.FREE) await new UserRepository(server.app.database.db).update(id, { tier });
    const account = { id, token: String((await post(server.url + RoutePath.AUTH_LOGIN, user)).body.token) };
    tokens.set(name, account);
    return account;
  };
  const used = async (token: string) => ((await get(server.url + RoutePath.QUOTAS, token)).body.records_per_day as { used: number }).used;
  const records = async (token: string) => Number((await get(server.url + RoutePath.USAGE_SUMMARY, token)).body.records);
  const listed = async (token: string, corpus: string) =>
    ((await get(server.url + RoutePath.CORPORA, token)).body.corpora as CorpusListing[]).find((c) => c.corpus === corpus);

  beforeAll(async () => {
    server = await startServer(target, {
      [EnvVar.QUOTA_FREE_RECORDS_PER_DAY]: String(QUOTA),
      [EnvVar.QUOTA_PRO_RECORDS_PER_DAY]: "0",
      [EnvVar.MAX_CONCURRENT_UPLOADS]: String(CAP),
      // The held uploads below trickle on purpose; a loaded machine must not turn them into upload_too_slow.
      [EnvVar.UPLOAD_MIN_RATE_BYTES]: "0",
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("charges a truncated gzip exactly the records it kept, marks its corpus partial, and a re-upload completes it", async () => {
    const { token } = await signIn("alice", Tier.PRO);
    const whole = gzipSync(file("t", 12_000));
    const cut = whole.subarray(0, Math.floor(whole.length * 0.9));
    const failed = await upload(server.url, token, cut, "logs");
    expect(failed.status).toBe(422);
    expect(errorOf(failed).code).toBe(ErrorCode.CORRUPT_FILE);
    const kept = await records(token);
    expect(kept).toBeGreaterThan(0); // whole batches written before the cut
    expect(kept).toBeLessThan(12_000);
    expect(errorOf(failed).message).toContain(`${kept} records of it were kept in dataset "logs", now marked partial`);
    expect(await used(token)).toBe(kept); // today: 0, whatever was kept

    const partial = { status: CorpusStatus.PARTIAL, partial: { records_kept: kept, reason: ErrorCode.CORRUPT_FILE, at: expect.any(String) } };
    expect(await listed(token, "logs")).toMatchObject(partial);
    expect((await get(`${server.url}${RoutePath.CORPORA}/logs`, token)).body.corpus).toMatchObject(partial);
    const summary = (await get(server.url + RoutePath.USAGE_SUMMARY, token)).body as unknown as UsageSummary;
    expect(summary.corpora.find((c) => c.corpus === "logs")).toMatchObject(partial);
    expect((await ask(server.url, token, "describe dataset logs")).executive_summary).toContain(`It is partial: its last upload stopped early (corrupt_file) and kept ${kept.toLocaleString("en-US")} records`);

    const again = await upload(server.url, token, whole, "logs");
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ ingested: 12_000 - kept, duplicates: kept });
    expect(await listed(token, "logs")).toMatchObject({ status: CorpusStatus.COMPLETE, partial: null });
    expect(await used(token)).toBe(12_000); // the duplicates of the second upload are not charged again
  });

  it("stops a 15,000-record upload at a 1,000 records/day quota with quota_exceeded, saying what was kept and when it resets", async () => {
    const { token } = await signIn("carol");
    const reply = await upload(server.url, token, file("q", 15_000), "big");
    expect(reply.status).toBe(429);
    const error = errorOf(reply);
    expect(error.code).toBe(ErrorCode.QUOTA_EXCEEDED);
    expect(error.message).toContain(`${QUOTA} records of this upload were kept in dataset "big", now marked partial`);
    const resets = /resets at (\S+) \(in (\d+) minutes?\)/.exec(error.message);
    expect(resets).not.toBeNull();
    expect(new Date(resets![1]!).getTime() - Date.now()).toBeGreaterThan(DAY_MS - 10 * 60_000);
    expect(await records(token)).toBe(QUOTA); // today: 15,000
    expect(await used(token)).toBe(QUOTA);
    expect(await listed(token, "big")).toMatchObject({ status: CorpusStatus.PARTIAL, partial: { records_kept: QUOTA, reason: ErrorCode.QUOTA_EXCEEDED } });
    // An analysis of it says in its data-quality warnings that the dataset is partial.
    const report = await ask(server.url, token, "Where does my money go?");
    expect(report.data_quality.warnings).toContainEqual(expect.stringContaining(`The dataset "big" is partial: its last upload stopped early (quota_exceeded) and kept 1,000 records`));
    // Spent: the next one is refused before anything is read, and leaves the corpus as it was.
    const next = await upload(server.url, token, file("r", 10), "big");
    expect(next.status).toBe(429);
    expect(await records(token)).toBe(QUOTA);
  });

  it("keeps no more than the quota across 8 parallel uploads of one user", async () => {
    const { token } = await signIn("dave");
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => upload(server.url, token, file(`p${i}`, 600), `part-${i}`)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(statuses).toContain(429);
    const kept = await records(token);
    expect(kept).toBeLessThanOrEqual(QUOTA); // today: 4,800
    expect(await used(token)).toBe(kept);
  });

  it("refuses uploads past the per-user cap with 429 rate_limited and Retry-After, and lets them in once one ends", async () => {
    const { token } = await signIn("erin", Tier.PRO);
    // Uploads held open: their bodies never end until released.
    const releases: (() => void)[] = [];
    const held = Array.from({ length: CAP }, () => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(`${line("held")}\n`));
          releases.push(() => controller.close());
        },
      });
      return upload(server.url, token, body, "held");
    });
    // Wait until every held upload is inside its handler (its temp file exists).
    const uploads = join(server.dataDir, "uploads");
    const deadline = Date.now() + 30_000;
    while ((await readdir(uploads).catch(() => [])).length < CAP && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const refused = await upload(server.url, token, file("x", 1), "extra");
    expect(refused.status).toBe(429);
    expect(errorOf(refused).code).toBe(ErrorCode.RATE_LIMITED);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    // Another user is not affected by erin's uploads.
    expect((await upload(server.url, (await signIn("frank", Tier.PRO)).token, file("f", 1), "own")).status).toBe(200);
    for (const release of releases) release();
    expect((await Promise.all(held)).map((r) => r.status)).toEqual(Array(CAP).fill(200));
    expect((await upload(server.url, token, file("x", 1), "extra")).status).toBe(200);
  });

  it("closes an ingest left running by a dead node as partial at the next lease sweep", async () => {
    const { id, token } = tokens.get("frank")!;
    const log = new IngestLogRepository(server.app.database.db);
    const ingest = await log.begin({ ownerId: id, corpus: "own", nodeId: "dead-node", leaseMs: 1 });
    await log.reserve(ingest, id, 1, { limit: 0, windowMs: DAY_MS, leaseMs: 1 });
    expect(await listed(token, "own")).toMatchObject({ status: CorpusStatus.INGESTING, partial: null });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await server.app.leases.sweep();
    expect(await listed(token, "own")).toMatchObject({ status: CorpusStatus.PARTIAL, partial: { records_kept: 1, reason: ErrorCode.INTERRUPTED } });
    // A live node's ingest is left alone by the sweep.
    expect((await upload(server.url, token, file("f", 3), "own")).status).toBe(200);
    await server.app.leases.sweep();
    expect(await listed(token, "own")).toMatchObject({ status: CorpusStatus.COMPLETE });
  });
});

describe.each(storeTargets())("a server starting on $name after one was killed", (target) => {
  it("removes the temp uploads it left and (on the embedded store, which only it opens) closes its running ingests as partial", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "apex-restart-"));
    const env = { [EnvVar.DATA_DIR]: dataDir };
    const first = await startServer(target, env);
    const user = { email: "killed@example.com", password: "killed-password-1" };
    const ownerId = (await first.app.auth.createUser(user.email, user.password)).id;
    const token = String((await post(first.url + RoutePath.AUTH_LOGIN, user)).body.token);
    expect((await upload(first.url, token, file("k", 5), "cut")).status).toBe(200);
    // What a server killed mid-upload leaves: its ingest running with a live lease, and its temp file.
    await new IngestLogRepository(first.app.database.db).begin({ ownerId, corpus: "cut", nodeId: first.app.leases.nodeId, leaseMs: 3_600_000 });
    await first.app.close();
    await mkdir(join(dataDir, "uploads"), { recursive: true });
    await writeFile(join(dataDir, "uploads", "0b7c-left-by-a-killed-server.upload"), "half a file");

    const second = await startServer(target, env);
    try {
      expect(await readdir(join(dataDir, "uploads"))).toEqual([]);
      if (target.name === "pglite") {
        const again = String((await post(second.url + RoutePath.AUTH_LOGIN, user)).body.token);
        const corpora = (await get(second.url + RoutePath.CORPORA, again)).body.corpora as CorpusListing[];
        expect(corpora.find((c) => c.corpus === "cut")).toMatchObject({ status: CorpusStatus.PARTIAL, partial: { reason: ErrorCode.INTERRUPTED } });
      }
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});
