// The cluster as it is deployed (compose.yaml), natively: two `apex serve` PROCESSES on one PostgreSQL database and one
// Redis, sharing a JWT secret. A client on node A follows, complete and in order, a run executing on node B; when node B
// is killed (SIGKILL) mid-run, node A's sweeper closes the run as interrupted, A's client receives it, and resuming
// on A loses nothing. Runs only where PostgreSQL and Redis are reachable (CI sets DATABASE_URL and REDIS_URL).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateWorkload } from "../../src/analytics/generator/workload.ts";
import { fixture, ROUTES, startRecordedServer, type RecordedServer } from "../../src/llm/recorded-server.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { ClientCommand, ControlFrame, EnvVar, ErrorCode, EventType, RoutePath, TERMINAL_EVENTS } from "../../src/protocol/names.ts";
import { storeTargets, type DisposableDatabase } from "../../src/store/disposable-database.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { TEST_MODEL } from "./cluster-node.ts";
import { get, post } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const postgres = storeTargets().find((target) => target.name === "postgres");
const redisUrl = process.env[EnvVar.REDIS_URL];
const APEX = fileURLToPath(new URL("../../bin/apex.js", import.meta.url));
const ADMIN = { email: "ops@example.com", password: "ops-password-123" };
const QUESTION = "Where can I cut my LLM costs?";
const START_MS = 60_000;

interface NodeProcess {
  name: string;
  url: string;
  child: ChildProcessWithoutNullStreams;
  dataDir: string;
}

describe.skipIf(postgres === undefined || redisUrl === undefined || redisUrl === "")("two apex serve processes on PostgreSQL and Redis", () => {
  const jwtSecret = randomBytes(48).toString("base64url");
  const nodes: NodeProcess[] = [];
  let llm: RecordedServer;
  let scratch: DisposableDatabase;
  let token = "";

  const startNode = async (name: string): Promise<NodeProcess> => {
    const dataDir = await mkdtemp(join(tmpdir(), `apex-${name}-`));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [EnvVar.DATABASE_URL]: scratch.url,
      [EnvVar.REDIS_URL]: redisUrl,
      [EnvVar.JWT_SECRET]: jwtSecret,
      [EnvVar.NODE_ID]: name,
      [EnvVar.LOG_LEVEL]: "warn",
      [EnvVar.LLM_PROVIDER]: "openai",
      [EnvVar.LLM_BASE_URL]: `${llm.url}/v1`,
      [EnvVar.LLM_MODEL]: TEST_MODEL,
      [EnvVar.LEASE_MS]: "1500",
      [EnvVar.LEASE_RENEW_MS]: "300",
      [EnvVar.SWEEP_MS]: "300",
      [EnvVar.SHUTDOWN_DEADLINE_MS]: "500",
    };
    const child = spawn(process.execPath, [APEX, "serve", "--port", "0", "--data-dir", dataDir], { env });
    let output = "";
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} printed no URL in ${START_MS} ms: ${output}`)), START_MS);
      child.stdout.on("data", (chunk: Buffer) => {
        output += String(chunk);
        const found = /listening on (http:\/\/\S+)/.exec(output);
        if (found?.[1] === undefined) return;
        clearTimeout(timer);
        resolve(found[1]);
      });
      child.stderr.on("data", (chunk: Buffer) => (output += String(chunk)));
      child.once("exit", (code) => reject(new Error(`${name} exited with ${code}: ${output}`)));
    });
    const node = { name, url, child, dataDir };
    nodes.push(node);
    return node;
  };

  const stopNode = async (node: NodeProcess, signal: NodeJS.Signals = "SIGTERM") => {
    nodes.splice(nodes.indexOf(node), 1);
    if (node.child.exitCode === null) {
      const exited = new Promise((resolve) => node.child.once("exit", resolve));
      node.child.kill(signal);
      await exited;
    }
    await rm(node.dataDir, { recursive: true, force: true });
  };

  const open = async (node: NodeProcess) => {
    const client = TestClient.open(node.url, token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    return client;
  };

  const startRun = async (client: TestClient) => {
    client.send({ type: ClientCommand.USER_MESSAGE, id: "start", text: QUESTION });
    const ack = await client.next((f) => f.id === "start");
    expect(ack.type).toBe(ControlFrame.ACK);
    return String(ack.run_id);
  };

  const loggedOn = async (node: NodeProcess, runId: string) => (await get(node.url + RoutePath.RUN_EVENTS.replace(":run_id", runId), token)).body;

  beforeAll(async () => {
    llm = await startRecordedServer({ apiKey: null, models: [TEST_MODEL] });
    scratch = await postgres!.create();
    const first = await startNode("setup");
    token = String((await post(first.url + RoutePath.SETUP, ADMIN)).body.token);
    // usage data uploaded through the HTTP API, so the runs ask the LLM
    const book = new PriceBook();
    const workload = generateWorkload({ scenario: "saas", records: 300, days: 7, seed: 8, price: (r) => book.price(r).computed_cost_usd });
    const body = [...workload.records()].map((r) => JSON.stringify(r)).join("\n");
    const upload = await fetch(first.url + RoutePath.USAGE, { method: "POST", headers: { authorization: `Bearer ${token}` }, body });
    expect(upload.status).toBe(200);
    await stopNode(first);
  }, 2 * START_MS);

  afterAll(async () => {
    for (const node of [...nodes]) await stopNode(node, "SIGKILL");
    await scratch?.drop();
    await llm?.close();
  });

  it("follows on node A, in order and complete, a run executing on node B", async () => {
    const [a, b] = await Promise.all([startNode("node-a"), startNode("node-b")]);
    llm.reply(ROUTES.openaiChat, fixture("openai-error-500", { delayMs: 1000 }), ...Array.from({ length: 20 }, () => fixture("openai-error-500")));
    const onB = await open(b);
    const runId = await startRun(onB);
    const onA = await open(a);
    onA.send({ type: ClientCommand.SUBSCRIBE, id: "follow", run_id: runId, after_seq: 0 });
    const followed = await onA.runToEnd(runId);
    expect(checkRunInvariants(followed)).toEqual([]);
    expect(followed.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(followed).toEqual(await onB.runToEnd(runId));
    expect((await loggedOn(a, runId)).events).toEqual(followed);
    onA.socket.terminate();
    onB.socket.terminate();
    await Promise.all([stopNode(a), stopNode(b)]);
  }, 3 * START_MS);

  it("closes a run of a killed node as interrupted; node A's client receives it and a resume on A loses nothing", async () => {
    const [a, b] = await Promise.all([startNode("node-a"), startNode("node-b")]);
    llm.reset();
    llm.reply(ROUTES.openaiChat, fixture("openai-error-500", { delayMs: 60_000 })); // B hangs on its LLM call
    const onB = await open(b);
    const runId = await startRun(onB);
    await expect.poll(() => llm.requests.length, { timeout: 20_000 }).toBeGreaterThan(0);
    const onA = await open(a);
    onA.send({ type: ClientCommand.SUBSCRIBE, id: "follow", run_id: runId, after_seq: 0 });
    await onA.next((f) => f.run_id === runId && typeof f.seq === "number");
    const seenBeforeKill = onA.events(runId).length;
    expect(onA.events(runId).some((e) => TERMINAL_EVENTS.includes(e.type))).toBe(false);

    await stopNode(b, "SIGKILL");
    const followed = await onA.runToEnd(runId);
    expect(checkRunInvariants(followed)).toEqual([]);
    expect(followed.at(-1)).toMatchObject({ type: EventType.RUN_FAILED, data: { error: { code: ErrorCode.INTERRUPTED } } });
    expect(followed.length).toBeGreaterThan(seenBeforeKill);

    const resumed = await open(a);
    resumed.send({ type: ClientCommand.SUBSCRIBE, id: "resume", run_id: runId, after_seq: 2 });
    const rest = await resumed.runToEnd(runId);
    expect([...followed.slice(0, 2), ...rest] as RunEvent[]).toEqual(followed);
    expect((await loggedOn(a, runId)).status).toBe("failed");
    onA.socket.terminate();
    resumed.socket.terminate();
    onB.socket.terminate();
    await stopNode(a);
  }, 3 * START_MS);
});
