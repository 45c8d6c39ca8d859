// Graceful shutdown over real sockets: a run in flight finishes within the deadline and the socket then gets 1001; a
// run past the deadline ends `run_cancelled` by the server; a message sent during the drain gets `shutting_down`.
// The LLM is a real OpenAI-compatible HTTP server on 127.0.0.1 whose reply delay sets how long a run takes.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixture, ROUTES, startRecordedServer, type RecordedServer } from "../../src/llm/recorded-server.ts";
import { CancelledBy, ClientCommand, ControlFrame, EnvVar, ErrorCode, EventType, RoutePath, TERMINAL_EVENTS } from "../../src/protocol/names.ts";
import { storeTargets, type StoreTarget } from "../../src/store/disposable-database.ts";
import { seedUsage, startClusterNode, TEST_MODEL, type ClusterNode } from "./cluster-node.ts";
import { post } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const USER = { email: "leaving@example.com", password: "leaving-password-1" };
let llm: RecordedServer;

beforeAll(async () => {
  llm = await startRecordedServer({ apiKey: null, models: [TEST_MODEL] });
});
afterAll(async () => {
  await llm.close();
});
beforeEach(() => llm.reset());

interface Node extends ClusterNode {
  token: string;
}

async function startNode(target: StoreTarget, shutdownDeadlineMs: number): Promise<Node> {
  const disposable = target.name === "postgres" ? await target.create() : undefined;
  const node = await startClusterNode(llm, {
    [EnvVar.DATABASE_URL]: disposable?.url,
    [EnvVar.REDIS_URL]: disposable === undefined ? undefined : process.env[EnvVar.REDIS_URL],
    [EnvVar.SHUTDOWN_DEADLINE_MS]: String(shutdownDeadlineMs),
  });
  const user = await node.app.auth.createUser(USER.email, USER.password);
  await seedUsage(node.app, user.id);
  const token = String((await post(node.url + RoutePath.AUTH_LOGIN, USER)).body.token);
  return {
    ...node,
    token,
    dispose: async () => {
      await node.dispose();
      await disposable?.drop();
    },
  };
}

/** The run's events as the client got them: gapless from 1 and ending with one terminal event. */
function expectComplete(client: TestClient, runId: string) {
  const events = client.events(runId);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events.filter((e) => TERMINAL_EVENTS.includes(e.type))).toHaveLength(1);
  return events;
}

describe.each(storeTargets())("graceful shutdown on $name", (target) => {
  it("lets a run in flight finish, refuses new messages meanwhile, then closes the socket with 1001", async () => {
    // The first LLM call answers after 1.5 s, so the run is still in flight when the shutdown begins; the LLM stays
    // down (500), so the agents fall back to their rules and the run completes.
    llm.reply(ROUTES.openaiChat, fixture("openai-error-500", { delayMs: 1500 }), ...Array.from({ length: 20 }, () => fixture("openai-error-500")));
    const node = await startNode(target, 30_000);
    const client = TestClient.open(node.url, node.token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    client.send({ type: ClientCommand.USER_MESSAGE, id: "first", text: "Where can I cut my LLM costs?" });
    const ack = await client.next((f) => f.id === "first");
    expect(ack.type).toBe(ControlFrame.ACK);
    const runId = String(ack.run_id);
    await expect.poll(() => llm.requests.length).toBeGreaterThan(0);

    const started = Date.now();
    const closing = node.app.close();
    client.send({ type: ClientCommand.USER_MESSAGE, id: "late", text: "And one more thing?" });
    const refused = await client.next((f) => f.id === "late");
    expect(refused).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.SHUTTING_DOWN });
    await closing;
    const elapsed = Date.now() - started;

    const events = expectComplete(client, runId);
    expect(events.at(-1), JSON.stringify(events.at(-1))).toMatchObject({ type: EventType.RUN_COMPLETED });
    expect(elapsed).toBeLessThan(30_000);
    expect(await client.closed).toMatchObject({ code: 1001 });
    await node.dispose();
  });

  it("cancels, as the server, a run still going at the deadline, and closes the socket with 1001", async () => {
    llm.reply(ROUTES.openaiChat, fixture("openai-error-500", { delayMs: 60_000 })); // the LLM never answers in time
    const deadlineMs = 400;
    const node = await startNode(target, deadlineMs);
    const client = TestClient.open(node.url, node.token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    client.send({ type: ClientCommand.USER_MESSAGE, id: "slow", text: "Where can I cut my LLM costs?" });
    const ack = await client.next((f) => f.id === "slow");
    const runId = String(ack.run_id);
    await expect.poll(() => llm.requests.length).toBeGreaterThan(0);

    const started = Date.now();
    await node.app.close();
    const elapsed = Date.now() - started;

    const events = expectComplete(client, runId);
    expect(events.at(-1)).toMatchObject({ type: EventType.RUN_CANCELLED, data: { by: CancelledBy.SERVER } });
    expect(elapsed).toBeGreaterThanOrEqual(deadlineMs - 5);
    expect(elapsed).toBeLessThan(deadlineMs + 10_000);
    expect(await client.closed).toMatchObject({ code: 1001 });
    await node.dispose();
  });
});
