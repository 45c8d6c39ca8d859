// The server end to end over real sockets: `buildApp` on port 0 with the real pipeline over a generated workload, on
// PGlite always and on PostgreSQL (+ Redis when REDIS_URL is set) when DATABASE_URL is set. First-run setup, login,
// the golden path, auth failures, cross-user denials, bad frames, and resume mid-run without gap or duplicate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateWorkload } from "../../src/analytics/generator/workload.ts";
import { ingestUsage } from "../../src/analytics/ingest.ts";
import { readUsageLines } from "../../src/analytics/read-usage.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { CancelledBy, ClientCommand, ControlFrame, ErrorCode, EventType, RoutePath } from "../../src/protocol/names.ts";
import { ReportSchema } from "../../src/protocol/report.ts";
import { ApiKeyRepository } from "../../src/store/api-keys.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { MessageRepository } from "../../src/store/messages.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { get, post, startServer, type TestServer } from "./test-server.ts";
import { TestClient, type Frame } from "./ws-client.ts";

const ALICE = { email: "alice@example.com", password: "alice-password-1" };
const MALLORY = { email: "mallory@example.com", password: "mallory-password-1" };
const QUESTION = "Where can I cut my LLM costs?";
const CLOSE_POLICY = 1008;
const book = new PriceBook();

async function welcomed(client: TestClient): Promise<TestClient> {
  await client.next((f) => f.type === ControlFrame.WELCOME);
  return client;
}

/** Sends a user message and returns the run id from the ack. */
async function ask(client: TestClient, id: string, text = QUESTION): Promise<{ runId: string; threadId: string }> {
  client.send({ type: ClientCommand.USER_MESSAGE, id, text });
  const ack = await client.next((f) => f.id === id && (f.type === ControlFrame.ACK || f.type === ControlFrame.ERROR));
  if (ack.type !== ControlFrame.ACK) throw new Error(`user_message refused: ${JSON.stringify(ack)}`);
  return { runId: String(ack.run_id), threadId: String(ack.thread_id) };
}

async function reply(client: TestClient, frame: Record<string, unknown> & { id: string }): Promise<Frame> {
  const from = client.frames.length;
  client.send(frame);
  return client.next((f) => f.id === frame.id, from);
}

describe.each(storeTargets())("the server on $name", (target) => {
  let server: TestServer;
  let aliceToken = "";
  let aliceId = "";
  let malloryToken = "";
  const open: TestClient[] = [];
  const connect = async (token: string | undefined, via: "protocol" | "header" = "protocol") => {
    const client = TestClient.open(server.url, token, via);
    open.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startServer(target);
    const workload = generateWorkload({ scenario: "saas", records: 800, days: 14, seed: 5, price: (r) => book.price(r).computed_cost_usd });
    const lines = [...workload.records()].map((r) => JSON.stringify(r));
    const setup = await post(server.url + RoutePath.SETUP, ALICE);
    expect(setup.status).toBe(201);
    aliceId = String((setup.body.user as { id: string }).id);
    const reader = await readUsageLines(lines, { format: "canonical" });
    const ingested = await ingestUsage(reader, server.app.usage, { owner: aliceId, corpus: "default", price: (r) => book.price(r) });
    expect(ingested.ingested).toBe(lines.length);
    await server.app.auth.createUser(MALLORY.email, MALLORY.password);
    aliceToken = String((await post(server.url + RoutePath.AUTH_LOGIN, ALICE)).body.token);
    malloryToken = String((await post(server.url + RoutePath.AUTH_LOGIN, MALLORY)).body.token);
  });

  afterAll(async () => {
    for (const client of open) client.socket.terminate();
    await server.stop();
  });

  it("runs the one-time setup once: a second setup is refused and says so", async () => {
    expect((await get(server.url + RoutePath.SETUP)).body).toEqual({ setup_required: false });
    const again = await post(server.url + RoutePath.SETUP, { email: "eve@example.com", password: "eve-password-12" });
    expect(again.status).toBe(403);
    expect((again.body.error as { code: string }).code).toBe(ErrorCode.FORBIDDEN);
    expect((await post(server.url + RoutePath.AUTH_LOGIN, { email: "eve@example.com", password: "eve-password-12" })).status).toBe(401);
  });

  it("answers malformed requests 400 invalid_request, before looking anything up", async () => {
    const missing = await post(server.url + RoutePath.AUTH_LOGIN, { email: ALICE.email });
    expect(missing.status).toBe(400);
    expect((missing.body.error as { code: string }).code).toBe(ErrorCode.INVALID_REQUEST);
    const negative = await get(`${server.url}/api/runs/some-run/events?after_seq=-1`, aliceToken);
    expect(negative.status).toBe(400);
    expect((negative.body.error as { code: string }).code).toBe(ErrorCode.INVALID_REQUEST);
  });

  it("refuses a wrong password with the same answer as an unknown email", async () => {
    const wrong = await post(server.url + RoutePath.AUTH_LOGIN, { ...ALICE, password: "not-her-password" });
    const unknown = await post(server.url + RoutePath.AUTH_LOGIN, { email: "nobody@example.com", password: "whatever-password" });
    expect(wrong.status).toBe(401);
    expect(unknown).toEqual(wrong);
  });

  it("carries a message over /ws to a complete run of the real pipeline, stored and readable over HTTP", async () => {
    const client = await welcomed(await connect(aliceToken));
    const welcome = client.frames[0];
    expect(welcome).toMatchObject({ type: ControlFrame.WELCOME, protocol: 1, heartbeat_ms: expect.any(Number) });
    const { runId, threadId } = await ask(client, "m1");
    const events = await client.runToEnd(runId);
    expect(checkRunInvariants(events)).toEqual([]);
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    const final = events.find((e) => e.type === EventType.FINAL_REPORT);
    expect(final?.type).toBe(EventType.FINAL_REPORT);
    const report = ReportSchema.parse(final?.type === EventType.FINAL_REPORT ? final.data.report : undefined);
    expect(report.totals.calls).toBeGreaterThan(0);
    expect(report.opportunities.length).toBeGreaterThan(0);
    // the ack comes before the run's first event
    expect(client.frames.findIndex((f) => f.id === "m1")).toBeLessThan(client.frames.findIndex((f) => f.run_id === runId && f.seq === 1));

    const logged = await get(`${server.url}/api/runs/${runId}/events`, aliceToken);
    expect(logged.status).toBe(200);
    expect(logged.body.events).toEqual(events);
    const tail = await get(`${server.url}/api/runs/${runId}/events?after_seq=3`, aliceToken);
    expect((tail.body.events as RunEvent[]).map((e) => e.seq)).toEqual(events.slice(3).map((e) => e.seq));
    const threads = await get(server.url + RoutePath.THREADS, aliceToken);
    expect(threads.body.threads).toEqual([expect.objectContaining({ id: threadId, title: QUESTION })]);
    // the run row and the assistant message are written when the run ends, just after its last event
    await expect.poll(async () => (await get(`${server.url}/api/runs/${runId}/events`, aliceToken)).body.status).toBe("completed");
    const messages = await new MessageRepository(server.app.database.db).page(aliceId, threadId);
    expect(messages.map((m) => [m.role, m.runId])).toEqual([
      ["user", runId],
      ["assistant", runId],
    ]);
    expect(messages[1]?.content).toContain(report.opportunities[0]?.title ?? "");
  });

  it("accepts the token in the Authorization header and an API key, and closes 1008 without a valid one", async () => {
    const viaHeader = await welcomed(await connect(aliceToken, "header"));
    expect((await reply(viaHeader, { type: ClientCommand.PING, id: "p" })).type).toBe(ControlFrame.PONG);
    const { secret } = await new ApiKeyRepository(server.app.database.db).create(aliceId, "script");
    await welcomed(await connect(secret));
    expect((await get(server.url + RoutePath.THREADS, secret)).status).toBe(200);

    for (const token of [undefined, "not-a-token", `${aliceToken.slice(0, -4)}AAAA`, "apex_revoked-or-unknown"]) {
      const client = await connect(token);
      const closed = await client.closed;
      expect(closed.code).toBe(CLOSE_POLICY);
      expect(closed.reason.length).toBeGreaterThan(0);
      expect(client.frames).toEqual([]);
    }
    expect((await get(server.url + RoutePath.THREADS)).status).toBe(401);
    expect((await get(server.url + RoutePath.THREADS, "forged")).status).toBe(401);
  });

  it("never lets a second user subscribe to, cancel, or read the first user's run: the answers equal those for no run", async () => {
    const alice = await welcomed(await connect(aliceToken));
    const { runId, threadId } = await ask(alice, "a1");
    const mallory = await welcomed(await connect(malloryToken));
    const intoHerThread = await reply(mallory, { type: ClientCommand.USER_MESSAGE, id: "m-1", thread_id: threadId, text: "mine now" });
    expect(intoHerThread).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.NOT_FOUND });
    const ghost = "0190ffff-0000-7000-8000-000000000000";
    const scrub = (frame: Frame, id: string) => JSON.stringify(frame).replaceAll(id, "<run>");
    for (const type of [ClientCommand.SUBSCRIBE, ClientCommand.CANCEL_RUN]) {
      const theirs = await reply(mallory, { type, id: `${type}-1`, run_id: runId });
      const none = await reply(mallory, { type, id: `${type}-1`, run_id: ghost });
      expect(theirs).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.NOT_FOUND });
      expect(scrub(theirs, runId)).toEqual(scrub(none, ghost));
    }
    const read = await get(`${server.url}/api/runs/${runId}/events`, malloryToken);
    const readNone = await get(`${server.url}/api/runs/${ghost}/events`, malloryToken);
    expect(read.status).toBe(404);
    expect(JSON.stringify(read.body).replaceAll(runId, "<run>")).toEqual(JSON.stringify(readNone.body).replaceAll(ghost, "<run>"));
    expect((await get(server.url + RoutePath.THREADS, malloryToken)).body.threads).toEqual([]);

    const events = await alice.runToEnd(runId);
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED); // mallory's cancel did nothing
    expect(mallory.frames.some((f) => f.run_id === runId && typeof f.seq === "number")).toBe(false);
  });

  it("answers every bad frame with a typed error and keeps the socket usable", async () => {
    const client = await welcomed(await connect(aliceToken));
    const cases: [unknown, string][] = [
      ["{not json", ErrorCode.INVALID_JSON],
      [JSON.stringify({ type: "launch_missiles", id: "x1" }), ErrorCode.UNKNOWN_COMMAND],
      [JSON.stringify([1, 2, 3]), ErrorCode.UNKNOWN_COMMAND],
      [JSON.stringify({ type: ClientCommand.SUBSCRIBE, id: "x2", run_id: 42 }), ErrorCode.INVALID_COMMAND],
      [JSON.stringify({ type: ClientCommand.USER_MESSAGE, id: "x3", text: "   " }), ErrorCode.INVALID_COMMAND],
      [JSON.stringify({ type: ClientCommand.PING, id: "x".repeat(70_000) }), ErrorCode.FRAME_TOO_LARGE],
      [Buffer.from([0, 1, 2]), ErrorCode.INVALID_COMMAND],
    ];
    for (const [frame, code] of cases) {
      const from = client.frames.length;
      client.send(frame);
      const answer = await client.next((f) => f.type === ControlFrame.ERROR, from);
      expect(answer.code).toBe(code);
      expect(String(answer.message).length).toBeGreaterThan(0);
    }
    // the id of a malformed but parseable command comes back, so the client can match the error
    expect(client.frames.filter((f) => f.type === ControlFrame.ERROR).map((f) => f.id)).toEqual([undefined, "x1", undefined, "x2", "x3", undefined, undefined]);
    expect(await reply(client, { type: ClientCommand.PING, id: "still-here" })).toEqual({ type: ControlFrame.PONG, id: "still-here" });
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it("resumes after a disconnect mid-run with exactly the missing events, and the disconnect cancels nothing", async () => {
    const first = await welcomed(await connect(aliceToken));
    const { runId } = await ask(first, "r1");
    await first.next((f) => f.run_id === runId && f.type === EventType.AGENT_STARTED);
    first.socket.terminate();
    const seen = first.events(runId);
    const k = seen.length;
    expect(k).toBeGreaterThan(1);

    const second = await welcomed(await connect(aliceToken));
    second.send({ type: ClientCommand.SUBSCRIBE, id: "s1", run_id: runId, after_seq: k });
    const rest = await second.runToEnd(runId);
    const complete = await second.next((f) => f.type === ControlFrame.REPLAY_COMPLETE);
    expect(complete.run_id).toBe(runId);
    expect(rest[0]?.seq).toBe(k + 1);
    const whole = [...seen, ...rest];
    expect(checkRunInvariants(whole)).toEqual([]);
    expect(whole.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect((await get(`${server.url}/api/runs/${runId}/events`, aliceToken)).body.events).toEqual(whole);

    // a subscription to the ended run replays it whole, then says where the replay stopped
    const third = await welcomed(await connect(aliceToken));
    third.send({ type: ClientCommand.SUBSCRIBE, id: "s2", run_id: runId });
    const replayed = await third.next((f) => f.type === ControlFrame.REPLAY_COMPLETE);
    expect(replayed.through_seq).toBe(whole.length);
    expect(third.events(runId)).toEqual(whole);
  });

  it("cancels the owner's run on cancel_run, ending it with run_cancelled", async () => {
    const client = await welcomed(await connect(aliceToken));
    client.send({ type: ClientCommand.USER_MESSAGE, id: "c1", text: QUESTION });
    client.send({ type: ClientCommand.CANCEL_RUN, id: "c2", run_id: "pending" }); // not a run of hers: not_found
    const ack = await client.next((f) => f.id === "c1");
    const runId = String(ack.run_id);
    expect((await client.next((f) => f.id === "c2")).code).toBe(ErrorCode.NOT_FOUND);
    const cancel = await reply(client, { type: ClientCommand.CANCEL_RUN, id: "c3", run_id: runId });
    // sent right after the ack, the cancel reaches the run long before its ~0.3 s of work is done
    expect(cancel).toMatchObject({ type: ControlFrame.ACK, run_id: runId, cancelled: true });
    const events = await client.runToEnd(runId);
    expect(checkRunInvariants(events)).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: EventType.RUN_CANCELLED, data: { by: CancelledBy.USER } });
    await expect.poll(async () => (await get(`${server.url}/api/runs/${runId}/events`, aliceToken)).body.status).toBe("cancelled");
    const again = await reply(client, { type: ClientCommand.CANCEL_RUN, id: "c4", run_id: runId });
    expect(again).toMatchObject({ type: ControlFrame.ACK, cancelled: false }); // her run, already ended
  });
});
