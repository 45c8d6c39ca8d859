// An account's open sockets on real servers (PGlite, and PostgreSQL when DATABASE_URL is set; two nodes on PostgreSQL +
// Redis): disabling the account closes them 1008 "signed out" on every node, a command sent after the disable is
// refused before it acts (a pending synthetic job's approve ingests nothing), and one account holds at most
// APEX_MAX_SOCKETS_PER_USER sockets per node (1013 past it).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientCommand, ControlFrame, Decision, EnvVar, ErrorCode, EventType, Role, RoutePath } from "../../src/protocol/names.ts";
import { buildApp, type ApexApp } from "../../src/server/app.ts";
import { loadServerConfig } from "../../src/server/config.ts";
import { storeTargets, type DisposableDatabase } from "../../src/store/disposable-database.ts";
import { InterruptRepository } from "../../src/store/interrupts.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { UserRepository } from "../../src/store/users.ts";
import { patch, post, startSignedIn, type TestServer } from "./test-server.ts";
import { TestClient, type Closed, type Frame } from "./ws-client.ts";

const OWNER = { email: "revoked-owner@example.com", password: "owner-password-1" };
const ADMIN = { email: "revoking-admin@example.com", password: "admin-password-1" };
const BOB = { email: "revoked-bob@example.com", password: "bob-password-1" };
/** Long enough for the test to answer the question, short enough for the refused run to end by itself. */
const APPROVAL_TTL_MS = 3_000;
const CLOSE_WAIT_MS = 5_000;
const SIGNED_OUT = 1008;
const TRY_AGAIN_LATER = 1013;
/** Needs an approval (the user asks to confirm) and would ingest in about a second once approved. */
const CONFIRMED_JOB = "generate 1200 records of a saas workload into dataset revoked-set, ask me to confirm first";

/** The close, or null when the socket is still open after CLOSE_WAIT_MS (today's bug). */
function closedWithin(client: TestClient): Promise<Closed | null> {
  return Promise.race([client.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), CLOSE_WAIT_MS))]);
}

async function opened(url: string, token: string): Promise<TestClient> {
  const client = TestClient.open(url, token);
  await client.next((f) => f.type === ControlFrame.WELCOME);
  return client;
}

/** Asks for the confirmed job and returns the question's interrupt id once it is asked. */
async function pendingJob(client: TestClient): Promise<{ runId: string; interruptId: string }> {
  client.send({ type: ClientCommand.USER_MESSAGE, id: "ask", text: CONFIRMED_JOB });
  const ack = await client.next((f) => f.id === "ask");
  expect(ack.type).toBe(ControlFrame.ACK);
  const runId = String(ack.run_id);
  const question = await client.next((f) => f.run_id === runId && f.type === EventType.AWAITING_INPUT);
  return { runId, interruptId: (question.data as { interrupt_id: string }).interrupt_id };
}

const userPath = (id: string) => RoutePath.ADMIN_USER.replace(":user_id", id);

describe.each(storeTargets())("an account's sockets on $name", (target) => {
  let server: TestServer;
  let ownerId = "";
  let ownerToken = "";
  let adminToken = "";

  beforeAll(async () => {
    ({ server, userId: ownerId, token: ownerToken } = await startSignedIn(target, OWNER, {
      [EnvVar.APPROVAL_TTL_MS]: String(APPROVAL_TTL_MS),
      [EnvVar.MAX_SOCKETS_PER_USER]: "3",
    }));
    await server.app.auth.createUser(ADMIN.email, ADMIN.password, Role.ADMIN);
    adminToken = String((await post(server.url + RoutePath.AUTH_LOGIN, ADMIN)).body.token);
  });
  afterAll(async () => {
    await server.stop();
  });

  it("refuses a command sent after the account was disabled, closing the socket 1008; the approve ingests nothing", async () => {
    const client = await opened(server.url, ownerToken);
    const { runId, interruptId } = await pendingJob(client);
    // Disabled in the store only, as if the notice had not reached this node yet: the command itself must re-check.
    await new UserRepository(server.app.database.db).update(ownerId, { disabled: true });
    client.send({ type: ClientCommand.RESPOND, id: "approve", interrupt_id: interruptId, decision: Decision.APPROVE });
    const answer = await client.next((f) => f.id === "approve");
    expect(answer).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.UNAUTHORIZED });
    const closed = await closedWithin(client);
    expect(closed).toMatchObject({ code: SIGNED_OUT, reason: expect.stringMatching(/^Signed out: .*disabled/) });
    expect((await new InterruptRepository(server.app.database.db).findById(interruptId))?.decision).toBeNull();
    // The question expires unanswered and the run ends; no record was generated.
    const runs = new RunRepository(server.app.database.db);
    await expect.poll(async () => (await runs.get(ownerId, runId))?.endedAt ?? null, { timeout: 15_000 }).not.toBeNull();
    expect(await server.app.usage.count({ owner: ownerId, corpus: "revoked-set" })).toBe(0);
    await new UserRepository(server.app.database.db).update(ownerId, { disabled: false });
  }, 30_000);

  it("closes every open socket of an account an admin disables, at once, 1008 signed out", async () => {
    const bobId = (await server.app.auth.createUser(BOB.email, BOB.password)).id;
    const bobToken = String((await post(server.url + RoutePath.AUTH_LOGIN, BOB)).body.token);
    const sockets = [await opened(server.url, bobToken), await opened(server.url, bobToken)];
    const disabled = await patch(server.url + userPath(bobId), { disabled: true }, adminToken);
    expect(disabled.status).toBe(200);
    for (const socket of sockets) expect(await closedWithin(socket)).toMatchObject({ code: SIGNED_OUT, reason: expect.stringContaining("disabled") });
    // And it cannot come back with the same token.
    expect(await closedWithin(TestClient.open(server.url, bobToken))).toMatchObject({ code: SIGNED_OUT });
  }, 30_000);

  it("ends the AG-UI stream of an account an admin disables", async () => {
    const client = await opened(server.url, ownerToken);
    const { runId } = await pendingJob(client);
    const response = await fetch(server.url + RoutePath.AGUI_RUN.replace(":run_id", runId), { headers: { authorization: `Bearer ${ownerToken}` } });
    expect(response.status).toBe(200);
    const body = response.text();
    expect((await patch(server.url + userPath(ownerId), { disabled: true }, adminToken)).status).toBe(200);
    const ended = await Promise.race([body.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CLOSE_WAIT_MS))]);
    expect(ended).toBe(true);
    expect(await closedWithin(client)).toMatchObject({ code: SIGNED_OUT });
    expect((await patch(server.url + userPath(ownerId), { disabled: false }, adminToken)).status).toBe(200);
  }, 30_000);

  it("holds at most APEX_MAX_SOCKETS_PER_USER sockets of one account; past it the upgrade is closed 1013", async () => {
    const held = [await opened(server.url, ownerToken), await opened(server.url, ownerToken), await opened(server.url, ownerToken)];
    const extra = TestClient.open(server.url, ownerToken);
    expect(await closedWithin(extra)).toMatchObject({ code: TRY_AGAIN_LATER, reason: expect.stringContaining("3 connections") });
    expect(extra.frames.some((f: Frame) => f.type === ControlFrame.WELCOME)).toBe(false);
    // Another account is not counted against it, and a closed socket frees its place.
    const admin = await opened(server.url, adminToken);
    await held[0]!.close();
    await expect.poll(async () => {
      const again = TestClient.open(server.url, ownerToken);
      const welcomed = await Promise.race([again.next((f) => f.type === ControlFrame.WELCOME).then(() => true), again.closed.then(() => false)]);
      again.socket.terminate();
      return welcomed;
    }).toBe(true);
    for (const client of [...held, admin]) client.socket.terminate();
  }, 30_000);
});

const postgres = storeTargets().find((t) => t.name === "postgres");
const redisUrl = process.env[EnvVar.REDIS_URL];

describe.skipIf(postgres === undefined || redisUrl === undefined || redisUrl === "")("an account disabled on node B while its socket is on node A", () => {
  const jwtSecret = randomBytes(48).toString("base64url");
  let scratch: DisposableDatabase;
  const nodes: { app: ApexApp; url: string; dataDir: string }[] = [];

  const startNode = async (nodeId: string) => {
    const dataDir = await mkdtemp(join(tmpdir(), "apex-revoke-"));
    const env = {
      [EnvVar.DATA_DIR]: dataDir,
      [EnvVar.LOG_LEVEL]: "silent",
      [EnvVar.DATABASE_URL]: scratch.url,
      [EnvVar.REDIS_URL]: redisUrl,
      [EnvVar.JWT_SECRET]: jwtSecret,
      [EnvVar.NODE_ID]: nodeId,
      [EnvVar.APPROVAL_TTL_MS]: String(APPROVAL_TTL_MS),
    };
    const app = await buildApp(await loadServerConfig(env, { port: 0 }));
    const node = { app, url: await app.fastify.listen({ port: 0, host: "127.0.0.1" }), dataDir };
    nodes.push(node);
    return node;
  };

  beforeAll(async () => {
    scratch = await postgres!.create();
  });
  afterAll(async () => {
    for (const node of nodes) {
      await node.app.close();
      await rm(node.dataDir, { recursive: true, force: true });
    }
    await scratch?.drop();
  });

  it("closes the socket on A 1008 and refuses its approve; nothing is ingested", async () => {
    const [a, b] = [await startNode("node-a"), await startNode("node-b")];
    const ownerId = (await a.app.auth.createUser(OWNER.email, OWNER.password)).id;
    await a.app.auth.createUser(ADMIN.email, ADMIN.password, Role.ADMIN);
    const ownerToken = String((await post(a.url + RoutePath.AUTH_LOGIN, OWNER)).body.token);
    const adminToken = String((await post(b.url + RoutePath.AUTH_LOGIN, ADMIN)).body.token);
    const onA = await opened(a.url, ownerToken);
    const { interruptId } = await pendingJob(onA);

    expect((await patch(b.url + userPath(ownerId), { disabled: true }, adminToken)).status).toBe(200);
    // Sent once the disable is committed: refused by A's own check, or never read because the notice closed it first.
    onA.send({ type: ClientCommand.RESPOND, id: "approve", interrupt_id: interruptId, decision: Decision.APPROVE });
    expect(await closedWithin(onA)).toMatchObject({ code: SIGNED_OUT, reason: expect.stringContaining("disabled") });
    expect(onA.frames.filter((f) => f.id === "approve").map((f) => [f.type, f.code])).toEqual(
      onA.frames.some((f) => f.id === "approve") ? [[ControlFrame.ERROR, ErrorCode.UNAUTHORIZED]] : [],
    );
    expect((await new InterruptRepository(a.app.database.db).findById(interruptId))?.decision).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, APPROVAL_TTL_MS));
    expect(await a.app.usage.count({ owner: ownerId, corpus: "revoked-set" })).toBe(0);
  }, 60_000);

  it("closes a socket on A when B disables the account while the socket sends nothing", async () => {
    const [a, b] = nodes;
    const bobId = (await a!.app.auth.createUser(BOB.email, BOB.password)).id;
    const bobToken = String((await post(a!.url + RoutePath.AUTH_LOGIN, BOB)).body.token);
    const adminToken = String((await post(b!.url + RoutePath.AUTH_LOGIN, ADMIN)).body.token);
    const onA = await opened(a!.url, bobToken);
    expect((await patch(b!.url + userPath(bobId), { disabled: true }, adminToken)).status).toBe(200);
    expect(await closedWithin(onA)).toMatchObject({ code: SIGNED_OUT, reason: expect.stringMatching(/^Signed out: .*disabled/) });
  }, 30_000);
});
