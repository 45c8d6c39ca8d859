// Two app nodes (buildApp twice, two ports) on one PostgreSQL database and one Redis, over real sockets: a client on
// node A follows a run executing on node B; a client resumes on one node what it followed on the other, losing
// nothing; when node B dies (its leases stop being renewed), node A's sweeper closes its run as `interrupted`.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixture, ROUTES, startRecordedServer, type RecordedServer } from "../../src/llm/recorded-server.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { ClientCommand, ControlFrame, EnvVar, ErrorCode, EventType, RoutePath, TERMINAL_EVENTS } from "../../src/protocol/names.ts";
import { storeTargets, type DisposableDatabase } from "../../src/store/disposable-database.ts";
import { seedUsage, startClusterNode, TEST_MODEL, type ClusterNode } from "./cluster-node.ts";
import { get, post } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const postgres = storeTargets().find((target) => target.name === "postgres");
const redisUrl = process.env[EnvVar.REDIS_URL];
const USER = { email: "roaming@example.com", password: "roaming-password-1" };
const LEASE_MS = 800;
const QUESTION = "Where can I cut my LLM costs?";

/** Every event of a run, in order, from 1 with no gap, ending with its one terminal event. */
function expectWhole(events: RunEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events.filter((e) => TERMINAL_EVENTS.includes(e.type)).map((e) => e.seq)).toEqual([events.length]);
}

describe.skipIf(postgres === undefined || redisUrl === undefined || redisUrl === "")("two app nodes on PostgreSQL and Redis", () => {
  const jwtSecret = randomBytes(48).toString("base64url");
  let llm: RecordedServer;
  let scratch: DisposableDatabase;
  let token = "";
  const started: ClusterNode[] = [];

  const startNode = async (nodeId: string): Promise<ClusterNode> => {
    const node = await startClusterNode(llm, {
      [EnvVar.DATABASE_URL]: scratch.url,
      [EnvVar.REDIS_URL]: redisUrl,
      [EnvVar.JWT_SECRET]: jwtSecret,
      [EnvVar.NODE_ID]: nodeId,
      [EnvVar.LEASE_MS]: String(LEASE_MS),
      [EnvVar.LEASE_RENEW_MS]: "150",
      [EnvVar.SWEEP_MS]: "200",
      [EnvVar.SHUTDOWN_DEADLINE_MS]: "300",
    });
    started.push(node);
    return node;
  };
  const stopNode = async (node: ClusterNode) => {
    started.splice(started.indexOf(node), 1);
    await node.app.close();
    await node.dispose();
  };
  const events = async (node: ClusterNode, runId: string) => (await get(`${node.url}/api/runs/${runId}/events`, token)).body;
  const open = async (node: ClusterNode) => {
    const client = TestClient.open(node.url, token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    return client;
  };
  /** Starts a run on `node` and returns its id once acked. */
  const startRun = async (client: TestClient): Promise<string> => {
    client.send({ type: ClientCommand.USER_MESSAGE, id: "start", text: QUESTION });
    const ack = await client.next((f) => f.id === "start");
    expect(ack.type).toBe(ControlFrame.ACK);
    return String(ack.run_id);
  };

  beforeAll(async () => {
    llm = await startRecordedServer({ apiKey: null, models: [TEST_MODEL] });
    scratch = await postgres!.create();
    const setup = await startNode("setup");
    const user = await setup.app.auth.createUser(USER.email, USER.password);
    await seedUsage(setup.app, user.id);
    await stopNode(setup);
  });
  beforeEach(async () => {
    llm.reset();
    const node = await startNode("login");
    token = String((await post(node.url + RoutePath.AUTH_LOGIN, USER)).body.token);
    await stopNode(node);
  });
  afterAll(async () => {
    for (const node of [...started]) await stopNode(node);
    await scratch?.drop();
    await llm?.close();
  });

  /** The LLM answers the first call after `delayMs`, then stays down (500): the agents fall back to their rules. */
  const llmSlowThenDown = (delayMs: number) =>
    llm.reply(ROUTES.openaiChat, fixture("openai-error-500", { delayMs }), ...Array.from({ length: 20 }, () => fixture("openai-error-500")));

  it("a client on node A receives, in order, every event of a run executing on node B", async () => {
    const [a, b] = [await startNode("node-a"), await startNode("node-b")];
    llmSlowThenDown(1000);
    const onB = await open(b);
    const runId = await startRun(onB);
    await expect.poll(() => llm.requests.length).toBeGreaterThan(0); // the run is in flight on B
    const onA = await open(a);
    onA.send({ type: ClientCommand.SUBSCRIBE, id: "follow", run_id: runId, after_seq: 0 });
    const followed = await onA.runToEnd(runId);
    await onB.runToEnd(runId);

    expectWhole(followed);
    expect(followed.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(followed).toEqual(onB.events(runId));
    await expect.poll(async () => (await events(a, runId)).status).toBe("completed");
    expect((await events(a, runId)).events).toEqual(followed);
    onA.socket.terminate();
    onB.socket.terminate();
    await stopNode(a);
    await stopNode(b);
  });

  it("resuming on node A a run that node B finished, and on node B after node A went away, loses nothing", async () => {
    const [a, b] = [await startNode("node-a"), await startNode("node-b")];
    llmSlowThenDown(800);
    const onB = await open(b);
    const runId = await startRun(onB);
    const followerOnA = await open(a);
    followerOnA.send({ type: ClientCommand.SUBSCRIBE, id: "follow", run_id: runId, after_seq: 0 });
    await followerOnA.next((f) => f.run_id === runId && typeof f.seq === "number");
    // The client on B drops mid-run; A goes away (its socket closes with 1001) while the run goes on on B.
    onB.socket.terminate();
    const seenOnB = onB.events(runId);
    await stopNode(a);
    expect((await followerOnA.closed).code).toBe(1001);
    const seenOnA = followerOnA.events(runId);
    const ended = (seen: RunEvent[]) => seen.some((e) => TERMINAL_EVENTS.includes(e.type));
    expect([ended(seenOnB), ended(seenOnA)]).toEqual([false, false]); // both clients left mid-run
    await expect.poll(async () => (await events(b, runId)).status, { timeout: 30_000 }).toBe("completed");

    // Resume on B what was followed on A, and on a fresh node A' what was followed on B before it finished.
    const resumeOnB = await open(b);
    resumeOnB.send({ type: ClientCommand.SUBSCRIBE, id: "resume", run_id: runId, after_seq: seenOnA.at(-1)?.seq ?? 0 });
    const rest = await resumeOnB.runToEnd(runId);
    const aAgain = await startNode("node-a2");
    const resumeOnA = await open(aAgain);
    resumeOnA.send({ type: ClientCommand.SUBSCRIBE, id: "resume", run_id: runId, after_seq: seenOnB.at(-1)?.seq ?? 0 });
    const restOnA = await resumeOnA.runToEnd(runId);

    const logged = (await events(b, runId)).events as RunEvent[];
    expectWhole(logged);
    expect([...seenOnA, ...rest]).toEqual(logged);
    expect([...seenOnB, ...restOnA]).toEqual(logged);
    resumeOnB.socket.terminate();
    resumeOnA.socket.terminate();
    await stopNode(aAgain);
    await stopNode(b);
  });

  it("when node B dies mid-run, node A's sweeper closes the run as interrupted and A's client receives it", async () => {
    const [a, b] = [await startNode("node-a"), await startNode("node-b")];
    llm.reply(ROUTES.openaiChat, fixture("openai-error-500", { delayMs: 60_000 })); // B hangs on its LLM call
    const onB = await open(b);
    const runId = await startRun(onB);
    await expect.poll(() => llm.requests.length).toBeGreaterThan(0);
    const onA = await open(a);
    onA.send({ type: ClientCommand.SUBSCRIBE, id: "follow", run_id: runId, after_seq: 0 });
    await onA.next((f) => f.run_id === runId && typeof f.seq === "number");
    // Held leases outlive a few sweeps: the run is alive while B renews.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
    expect(onA.events(runId).some((e) => TERMINAL_EVENTS.includes(e.type))).toBe(false);

    const died = Date.now();
    await b.app.leases.stop(); // B's process is gone, as far as the cluster can tell
    const followed = await onA.runToEnd(runId);
    const detectedMs = Date.now() - died;
    expectWhole(followed);
    expect(followed.at(-1)).toMatchObject({ type: EventType.RUN_FAILED, data: { error: { code: ErrorCode.INTERRUPTED } } });
    expect(detectedMs).toBeLessThan(LEASE_MS + 5_000);
    expect((await events(a, runId)).status).toBe("failed");

    // B, still holding its hung run, shuts down: its late run_cancelled is fenced off, the log keeps the interruption.
    await stopNode(b);
    const logged = (await events(a, runId)).events as RunEvent[];
    expect(logged).toEqual(followed);
    onA.socket.terminate();
    onB.socket.terminate();
    await stopNode(a);
  });
});
