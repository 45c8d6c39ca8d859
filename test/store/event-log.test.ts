// The durable event log driven by the REAL runtime (engine factory, emitter, dispatcher) with agents that do real work,
// on PGlite always and PostgreSQL when DATABASE_URL is set. Lives in test/ because it spans layers (store, bus, runtime).
import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Logger } from "drizzle-orm/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { MemoryBus } from "../../src/bus/memory-bus.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { AgentName, ErrorCode, EventType, TERMINAL_EVENTS } from "../../src/protocol/names.ts";
import type { Agent } from "../../src/runtime/agent.ts";
import { ExecutionEngineFactory } from "../../src/runtime/engine-factory.ts";
import type { EventSink } from "../../src/runtime/event-sink.ts";
import { uuidv7 } from "../../src/runtime/ids.ts";
import { sampleEvent } from "../../src/bus/sample-events.ts";
import { Registry } from "../../src/runtime/registry.ts";
import { defineTool, type AnyTool } from "../../src/runtime/tool.ts";
import { storeTargets, type DisposableDatabase } from "../../src/store/disposable-database.ts";
import { EventLog } from "../../src/store/event-log.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { RunStatus } from "../../src/store/schema.ts";
import { seedTwoOwners } from "../../src/store/two-owners.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";

const PIPELINE = [AgentName.TRIAGE, AgentName.DATA, AgentName.REPORT];

/** Agents that really compute: word frequencies of the request, a digest chain, and a summary of both. */
function buildFactory(sink: EventSink, gate?: Promise<void>) {
  const wordCounts = defineTool({
    name: "word_counts",
    description: "Counts the words of a text.",
    parameters: z.object({ text: z.string() }),
    execute: ({ text }) => {
      const counts: Record<string, number> = {};
      for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) counts[word] = (counts[word] ?? 0) + 1;
      return counts;
    },
  });
  const digest = defineTool({
    name: "digest",
    description: "SHA-256 of a text, iterated.",
    parameters: z.object({ text: z.string(), rounds: z.number().int().positive() }),
    execute: async ({ text, rounds }) => {
      if (gate !== undefined) await gate;
      let value = text;
      for (let i = 0; i < rounds; i += 1) value = createHash("sha256").update(value).digest("hex");
      return value;
    },
  });
  const tools = new Registry<AnyTool<undefined>>("tool").register(wordCounts.name, wordCounts).register(digest.name, digest);
  const agents = new Registry<Agent<undefined>>("agent")
    .register(AgentName.TRIAGE, {
      name: AgentName.TRIAGE,
      description: "Counts the words of the request.",
      async run({ tools: t, request, metadata, think }) {
        const counts = await t.call<Record<string, number>>("word_counts", { text: request });
        await think(`The request has ${Object.keys(counts).length} distinct words.`);
        metadata.storeResult("counts", counts);
        return { summary: `${Object.keys(counts).length} distinct words` };
      },
    })
    .register(AgentName.DATA, {
      name: AgentName.DATA,
      description: "Digests the request.",
      async run({ tools: t, request, metadata }) {
        const hex = await t.call<string>("digest", { text: request, rounds: 50 });
        metadata.storeResult("digest", hex);
        return { summary: `digest ${hex.slice(0, 8)}` };
      },
    })
    .register(AgentName.REPORT, {
      name: AgentName.REPORT,
      description: "Sums up.",
      async run({ metadata, partial }) {
        const counts = metadata.get<Record<string, number>>("counts", {});
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        await partial(`${total} words, digest ${metadata.get("digest", "")}`);
        return { summary: `${total} words` };
      },
    });
  return new ExecutionEngineFactory<undefined>({
    agents,
    tools,
    sink,
    services: undefined,
    pipeline: PIPELINE,
    config: { caching: false },
    maxConcurrentRunsPerUser: 1_000,
  });
}

/** Passes every event to the log and keeps what the emitter handed over, in order, once stored. */
function tee(log: EventLog): { sink: EventSink; emitted: RunEvent[] } {
  const emitted: RunEvent[] = [];
  return {
    emitted,
    sink: {
      async append(event, owner) {
        await log.append(event, owner);
        emitted.push(event);
      },
    },
  };
}

function expectWellFormedRun(events: readonly RunEvent[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events[0]?.type).toBe(EventType.RUN_STARTED);
  expect(events.filter((e) => TERMINAL_EVENTS.includes(e.type))).toHaveLength(1);
  expect(TERMINAL_EVENTS).toContain(events.at(-1)?.type);
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

class InsertCounter implements Logger {
  inserts = 0;
  logQuery(query: string): void {
    if (/^insert into "event_log"/i.test(query)) this.inserts += 1;
  }
}

describe.each(storeTargets())("EventLog on $name through the real runtime", (target) => {
  const counter = new InsertCounter();
  let scratch: DisposableDatabase;
  let bus: MemoryBus;
  let log: EventLog;
  let runs: RunRepository;
  let alice: string;
  let mallory: string;
  let thread: string;

  beforeAll(async () => {
    scratch = await target.create({ logger: counter });
    const db = scratch.database.db;
    ({ alice, mallory, thread } = await seedTwoOwners(db));
    runs = new RunRepository(db);
    bus = new MemoryBus();
    log = new EventLog({ db, bus, newEventId: uuidv7 });
  });
  afterAll(async () => {
    await log.close();
    await scratch.drop();
  });

  const newRun = async (leaseMs = 60_000) =>
    (await runs.create({ ownerId: alice, threadId: thread, request: "why so costly", nodeId: "node-a", leaseMs })).id;

  it("logs a run gaplessly, exactly as the emitter built it, and shows it to its owner only", async () => {
    const { sink, emitted } = tee(log);
    const runId = await newRun();
    const handle = buildFactory(sink).start({ userId: alice, threadId: thread, runId, request: "Why is my GPT spend so high this month?" });
    const outcome = await handle.done;
    expect(outcome.status).toBe("completed");
    const logged = await log.read(runId, alice);
    expect(logged).toEqual(emitted);
    expectWellFormedRun(logged);
    expect(logged.map((e) => e.type)).toContain(EventType.TOOL_COMPLETED);
    expect(await log.read(runId, alice, 3)).toEqual(emitted.slice(3));
    expect(await log.read(runId, mallory)).toEqual([]);
  });

  it("group-commits: 50 concurrent runs take far fewer INSERTs than events", async () => {
    const { sink } = tee(log);
    const factory = buildFactory(sink);
    const ids = await Promise.all(Array.from({ length: 50 }, () => newRun()));
    const before = { inserts: counter.inserts, ...log.stats() };
    const handles = ids.map((runId, i) => factory.start({ userId: alice, threadId: thread, runId, request: `question number ${i} about caching` }));
    await Promise.all(handles.map((h) => h.done));
    const after = log.stats();
    const events = after.events - before.events;
    const inserts = counter.inserts - before.inserts;
    for (const runId of ids) expectWellFormedRun(await log.read(runId, alice));
    expect(events).toBe((await Promise.all(ids.map((id) => log.read(id, alice)))).flat().length);
    expect(inserts).toBe(after.flushes - before.flushes);
    expect(events / inserts).toBeGreaterThan(5);
    expect(after.largestBatch).toBeGreaterThan(10);
  });

  it("publishes an event only after it is committed: a subscriber always finds it in the log", async () => {
    const runId = await newRun();
    const seen: number[] = [];
    const checks: Promise<boolean>[] = [];
    const unsubscribe = await bus.subscribe(runId, (event) => {
      seen.push(event.seq);
      checks.push(log.read(runId, alice, event.seq - 1, 1).then((found) => found[0]?.event_id === event.event_id));
    });
    const { sink, emitted } = tee(log);
    await buildFactory(sink).start({ userId: alice, threadId: thread, runId, request: "Which model costs most?" }).done;
    unsubscribe();
    expect(seen).toEqual(emitted.map((e) => e.seq));
    expect(await Promise.all(checks)).toEqual(emitted.map(() => true));
  });

  it("refuses events of a run for a user who does not own it", async () => {
    const runId = await newRun();
    const { sink } = tee(log);
    const handle = buildFactory(sink).start({ userId: mallory, threadId: thread, runId, request: "Let me in" });
    await expect(handle.done).rejects.toMatchObject({ code: ErrorCode.EVENT_SINK_FAILED });
    expect(await log.read(runId, alice)).toEqual([]);
  });

  it("stores one of two appends with the same run and seq in one batch, and publishes only that one", async () => {
    const runId = await newRun();
    const published: RunEvent[] = [];
    const stop = await bus.subscribe(runId, (event) => published.push(event));
    const first = { ...sampleEvent(runId, 1), event_id: uuidv7() };
    const second = { ...sampleEvent(runId, 1), event_id: uuidv7() };
    // Both appends are queued before the first flush, so they share one INSERT.
    const outcomes = await Promise.allSettled([log.append(first, alice), log.append(second, alice)]);
    await log.read(runId, alice);
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop();
    expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
    const stored = await log.read(runId, alice);
    expect(stored).toHaveLength(1);
    const winner = outcomes[0]?.status === "fulfilled" ? first : second;
    expect(stored[0]?.event_id).toBe(winner.event_id);
    expect(published.map((e) => e.event_id)).toEqual([winner.event_id]);
  });

  it("rejects exactly the appends of a batch the database refused, and the next batches go through", async () => {
    const good = await newRun();
    const poisoned = await newRun();
    const db = scratch.database.db;
    // A real database-side failure: a constraint the poisoned run's rows break, failing the whole statement.
    await db.execute(sql.raw(`alter table event_log add constraint poison check (run_id <> '${poisoned}')`));
    try {
      const factory = buildFactory(tee(log).sink);
      const okRun = factory.start({ userId: alice, threadId: thread, runId: good, request: "fine" });
      const badRun = factory.start({ userId: alice, threadId: thread, runId: poisoned, request: "doomed" });
      // Both run_started events share the first batch, so both runs fail; nothing of either is logged.
      await expect(badRun.done).rejects.toMatchObject({ code: ErrorCode.EVENT_SINK_FAILED, cause: { code: ErrorCode.DATABASE_UNAVAILABLE } });
      await expect(okRun.done).rejects.toMatchObject({ code: ErrorCode.EVENT_SINK_FAILED });
      expect(await log.read(good, alice)).toEqual([]);
      const retry = await newRun();
      await expect(factory.start({ userId: alice, threadId: thread, runId: retry, request: "again" }).done).resolves.toMatchObject({
        status: "completed",
      });
      expectWellFormedRun(await log.read(retry, alice));
    } finally {
      await db.execute(sql`alter table event_log drop constraint poison`);
    }
  });

  it("closes a run whose node stopped renewing its lease with run_failed{interrupted}, and fences the old node out", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runId = await newRun(200);
    const delivered: RunEvent[] = [];
    const unsubscribe = await bus.subscribe(runId, (event) => delivered.push(event));
    const handle = buildFactory(tee(log).sink, gate).start({ userId: alice, threadId: thread, runId, request: "hang in the digest" });
    const settled = handle.done.then(
      () => "resolved",
      (error: { code?: string }) => error.code,
    );
    // Wait until the run is parked at its gated tool call and its lease has lapsed.
    await until(async () => (await log.read(runId, alice)).some((e) => e.type === EventType.TOOL_EXECUTING && e.data.tool_name === "digest"));
    await until(async () => (await runs.expiredRuns()).some((r) => r.id === runId));
    const before = await log.read(runId, alice);
    expect(await log.closeInterrupted(runId)).toBe(true);
    expect(await log.closeInterrupted(runId)).toBe(false);

    const after = await log.read(runId, alice);
    expect(after.slice(0, before.length)).toEqual(before);
    // the open tool call and its agent are closed before run_failed, so the stream keeps every protocol invariant
    const ending = after.slice(before.length);
    expect(ending.map((e) => e.type)).toEqual([EventType.TOOL_COMPLETED, EventType.AGENT_ERROR, EventType.RUN_FAILED]);
    expect(ending[0]).toMatchObject({ data: { tool_name: "digest", ok: false, error: { code: ErrorCode.INTERRUPTED } } });
    expect(after.at(-1)).toMatchObject({ type: EventType.RUN_FAILED, seq: before.length + 3, data: { error: { code: ErrorCode.INTERRUPTED } } });
    expectWellFormedRun(after);
    expect(checkRunInvariants(after)).toEqual([]);
    expect(delivered.at(-1)?.type).toBe(EventType.RUN_FAILED);
    expect(await runs.get(alice, runId)).toMatchObject({ status: RunStatus.FAILED, error: { code: ErrorCode.INTERRUPTED } });
    expect((await runs.expiredRuns()).map((r) => r.id)).not.toContain(runId);

    // The node was only slow: its next event finds the seq taken and the run fails there, adding nothing to the log.
    release();
    expect(await settled).toBe(ErrorCode.EVENT_SINK_FAILED);
    expect(await log.read(runId, alice)).toEqual(after);
    unsubscribe();
  });

  it("only ends the row of an expired run whose log already holds its terminal event", async () => {
    const runId = await newRun(50);
    await buildFactory(tee(log).sink).start({ userId: alice, threadId: thread, runId, request: "finished before the crash" }).done;
    await new Promise((resolve) => setTimeout(resolve, 120));
    const logged = await log.read(runId, alice);
    expect(await log.closeInterrupted(runId)).toBe(false);
    expect(await log.read(runId, alice)).toEqual(logged);
    expect(await runs.get(alice, runId)).toMatchObject({ status: RunStatus.COMPLETED });
  });

  it("closes an expired run that logged nothing (it waited its turn) with run_started then run_failed, ignores unknown runs and renewed leases", async () => {
    const silent = await newRun(50);
    const renewed = await newRun(50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await runs.renewLease(renewed, "node-a", 60_000)).toBe(true);
    expect(await log.closeInterrupted("run-that-never-was")).toBe(false);
    expect(await log.closeInterrupted(renewed)).toBe(false);
    expect(await log.read(renewed, alice)).toEqual([]);
    expect(await log.closeInterrupted(silent)).toBe(true);
    const closed = await log.read(silent, alice);
    expect(closed.map((e) => e.type)).toEqual([EventType.RUN_STARTED, EventType.RUN_FAILED]);
    expect(closed[0]).toMatchObject({ seq: 1, thread_id: thread, data: { pipeline: [] } });
    expect(closed[1]).toMatchObject({ seq: 2, data: { error: { code: ErrorCode.INTERRUPTED } } });
    expect(checkRunInvariants(closed)).toEqual([]);
  });

  it("lets exactly one of two racing sweepers log the run_failed", async () => {
    const runId = await newRun(50);
    await until(async () => (await runs.expiredRuns()).some((r) => r.id === runId));
    const other = new EventLog({ db: scratch.database.db, bus, newEventId: uuidv7 });
    const results = await Promise.all([log.closeInterrupted(runId), other.closeInterrupted(runId)]);
    await other.close();
    expect(results.filter(Boolean)).toHaveLength(1);
    const logged = await log.read(runId, alice);
    expect(logged.map((e) => e.type)).toEqual([EventType.RUN_STARTED, EventType.RUN_FAILED]);
    expect(await runs.get(alice, runId)).toMatchObject({ status: RunStatus.FAILED });
  });

  it("answers invalid_request for a seq or limit that is not a whole number", async () => {
    const runId = await newRun();
    await expect(log.read(runId, alice, -1)).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
    await expect(log.read(runId, alice, 1.5)).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
    await expect(log.read(runId, alice, 0, 0)).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
  });

  it("refuses appends once closed, with a code", async () => {
    const closing = new EventLog({ db: scratch.database.db, bus, newEventId: uuidv7 });
    await closing.close();
    const runId = await newRun();
    const { sink } = tee(closing);
    await expect(buildFactory(sink).start({ userId: alice, threadId: thread, runId, request: "too late" }).done).rejects.toMatchObject({
      code: ErrorCode.EVENT_SINK_FAILED,
      cause: { code: ErrorCode.DATABASE_UNAVAILABLE },
    });
  });
});
