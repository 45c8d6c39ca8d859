// Two app nodes on one PostgreSQL database and one Redis: a follower on node A sees, in order and complete, a run
// executing on node B; when B stops renewing a run's lease, A's sweeper closes it as interrupted and A's follower sees it.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Bus } from "../../src/bus/bus.ts";
import { openBus } from "../../src/bus/open-bus.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { AgentName, EnvVar, ErrorCode, EventType, TERMINAL_EVENTS } from "../../src/protocol/names.ts";
import type { Agent } from "../../src/runtime/agent.ts";
import { ExecutionEngineFactory } from "../../src/runtime/engine-factory.ts";
import { uuidv7 } from "../../src/runtime/ids.ts";
import { Registry } from "../../src/runtime/registry.ts";
import { defineTool, type AnyTool } from "../../src/runtime/tool.ts";
import { openDatabase, type Database } from "../../src/store/database.ts";
import { storeTargets, type DisposableDatabase } from "../../src/store/disposable-database.ts";
import { EventLog } from "../../src/store/event-log.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { seedTwoOwners } from "../../src/store/two-owners.ts";

const postgres = storeTargets().find((target) => target.name === "postgres");
const redisUrl = process.env[EnvVar.REDIS_URL];

interface AppNode {
  id: string;
  database: Database;
  bus: Bus;
  log: EventLog;
  runs: RunRepository;
}

/** A pipeline whose tool sorts and sums real numbers, step by step, optionally waiting at a gate first. */
function factoryOn(node: AppNode, gate?: Promise<void>) {
  const sortAndSum = defineTool({
    name: "sort_and_sum",
    description: "Sorts numbers and sums them.",
    parameters: z.object({ numbers: z.array(z.number()) }),
    execute: async ({ numbers }) => {
      if (gate !== undefined) await gate;
      const sorted = [...numbers].sort((a, b) => a - b);
      return { sorted, sum: sorted.reduce((a, b) => a + b, 0) };
    },
  });
  const agent = (name: string): Agent<undefined> => ({
    name,
    description: `Agent ${name} sums a series.`,
    async run({ tools, think, request }) {
      const numbers = Array.from(request, (ch) => ch.charCodeAt(0) % 17);
      const { sum } = await tools.call<{ sum: number }>("sort_and_sum", { numbers });
      await think(`The series of ${numbers.length} numbers sums to ${sum}.`);
      return { summary: `sum ${sum}` };
    },
  });
  const names = [AgentName.TRIAGE, AgentName.DATA, AgentName.OPTIMIZE, AgentName.REPORT];
  const agents = new Registry<Agent<undefined>>("agent");
  for (const name of names) agents.register(name, agent(name));
  return new ExecutionEngineFactory<undefined>({
    agents,
    tools: new Registry<AnyTool<undefined>>("tool").register(sortAndSum.name, sortAndSum),
    sink: node.log,
    services: undefined,
    pipeline: names,
    config: { caching: false },
  });
}

/** What a gateway does for a follower: subscribe first, then replay the log, then live events, deduplicated by seq. */
async function follow(node: AppNode, runId: string, owner: string) {
  const events: RunEvent[] = [];
  let done: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (done = resolve));
  const take = (event: RunEvent) => {
    if (event.seq !== (events.at(-1)?.seq ?? 0) + 1) return;
    events.push(event);
    if (TERMINAL_EVENTS.includes(event.type)) done();
  };
  const buffered: RunEvent[] = [];
  let replaying = true;
  const unsubscribe = await node.bus.subscribe(runId, (event) => (replaying ? buffered.push(event) : take(event)));
  for (const event of await node.log.read(runId, owner)) take(event);
  replaying = false;
  for (const event of buffered.sort((a, b) => a.seq - b.seq)) take(event);
  return { events, ended: ended.then(unsubscribe) };
}

describe.skipIf(postgres === undefined || redisUrl === undefined || redisUrl === "")("two nodes on PostgreSQL and Redis", () => {
  const prefix = `apex-test-${randomBytes(4).toString("hex")}:`;
  let scratch: DisposableDatabase;
  let a: AppNode;
  let b: AppNode;
  let alice: string;
  let thread: string;

  const startNode = async (id: string): Promise<AppNode> => {
    const database = await openDatabase({ databaseUrl: scratch.url! });
    const bus = await openBus({ redisUrl, channelPrefix: prefix });
    return { id, database, bus, log: new EventLog({ db: database.db, bus, newEventId: uuidv7 }), runs: new RunRepository(database.db) };
  };
  const stopNode = async (node: AppNode) => {
    await node.log.close();
    await node.bus.close();
    await node.database.close();
  };

  beforeAll(async () => {
    scratch = await postgres!.create();
    a = await startNode("node-a");
    b = await startNode("node-b");
    ({ alice, thread } = await seedTwoOwners(a.database.db));
  });
  afterAll(async () => {
    await stopNode(a);
    await stopNode(b);
    await scratch.drop();
  });

  it("a follower on node A gets every event of a run executing on node B, in order", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const run = await b.runs.create({ ownerId: alice, threadId: thread, request: "where does the money go", nodeId: b.id, leaseMs: 30_000 });
    const handle = factoryOn(b, gate).start({ userId: alice, threadId: thread, runId: run.id, request: run.request });
    await new Promise((resolve) => setTimeout(resolve, 50)); // some events are logged before the follower arrives
    const follower = await follow(a, run.id, alice);
    release();
    await handle.done;
    await follower.ended;
    const logged = await b.log.read(run.id, alice);
    expect(follower.events).toEqual(logged);
    expect(logged.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(logged.map((e) => e.seq)).toEqual(logged.map((_, i) => i + 1));
  });

  it("when node B stops renewing its lease, node A closes the run as interrupted and A's follower sees it", async () => {
    const gate = new Promise<void>(() => undefined); // node B hangs at its first tool call, then "dies"
    const run = await b.runs.create({ ownerId: alice, threadId: thread, request: "hang", nodeId: b.id, leaseMs: 300 });
    void factoryOn(b, gate).start({ userId: alice, threadId: thread, runId: run.id, request: run.request }).done.catch(() => undefined);
    const follower = await follow(a, run.id, alice);
    let expired: string[] = [];
    const start = Date.now();
    while (!expired.includes(run.id) && Date.now() - start < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      expired = (await a.runs.expiredRuns()).map((r) => r.id);
    }
    expect(expired).toContain(run.id);
    for (const stale of expired) await a.log.closeInterrupted(stale);
    await follower.ended;
    expect(follower.events.at(-1)).toMatchObject({ type: EventType.RUN_FAILED, data: { error: { code: ErrorCode.INTERRUPTED } } });
    expect(follower.events).toEqual(await a.log.read(run.id, alice));
  });
});
