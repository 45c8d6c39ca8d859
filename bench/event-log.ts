// Event log throughput: W concurrent runs, each appending its events one at a time and awaiting each (as the emitter
// does), into the group-committed log; against the same log forced to one row per INSERT (maxBatch 1) as the
// baseline. PGlite in memory always, PostgreSQL when DATABASE_URL is set (a scratch database, dropped afterwards).
// Run: npm run bench:event-log   (BENCH_RUNS, BENCH_EVENTS to change the load)
import { MemoryBus } from "../src/bus/memory-bus.ts";
import { RunEventSchema, type RunEvent } from "../src/protocol/events.ts";
import { AgentName, EventType, PROTOCOL_VERSION } from "../src/protocol/names.ts";
import { uuidv7 } from "../src/runtime/ids.ts";
import { storeTargets, type StoreTarget } from "../src/store/disposable-database.ts";
import { EventLog } from "../src/store/event-log.ts";
import { RunRepository } from "../src/store/runs.ts";
import { seedTwoOwners } from "../src/store/two-owners.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 100);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100);

function thinking(runId: string, threadId: string, seq: number): RunEvent {
  return RunEventSchema.parse({
    v: PROTOCOL_VERSION,
    type: EventType.AGENT_THINKING,
    event_id: uuidv7(),
    run_id: runId,
    thread_id: threadId,
    seq,
    ts: new Date().toISOString(),
    agent_name: AgentName.OPTIMIZE,
    data: {
      agent_name: AgentName.OPTIMIZE,
      thought: `Comparing the cost of gpt-4o and gpt-4o-mini on the 1,204 calls of feature "summaries" (step ${seq}).`,
      step_number: 3,
      total_steps: 5,
    },
  });
}

interface Figures {
  eventsPerSec: number;
  inserts: number;
  meanBatch: number;
  p50: number;
  p99: number;
}

async function measure(target: StoreTarget, runs: number, events: number, maxBatch?: number): Promise<Figures> {
  const scratch = await target.create();
  try {
    const db = scratch.database.db;
    const { alice: owner, thread } = await seedTwoOwners(db);
    const repo = new RunRepository(db);
    const ids: string[] = [];
    for (let i = 0; i < runs; i += 1) ids.push((await repo.create({ ownerId: owner, threadId: thread, request: "bench", nodeId: "bench", leaseMs: 600_000 })).id);
    const log = new EventLog({ db, bus: new MemoryBus(), newEventId: uuidv7, ...(maxBatch === undefined ? {} : { maxBatch }) });
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      ids.map(async (runId) => {
        for (let seq = 1; seq <= events; seq += 1) {
          const event = thinking(runId, thread, seq);
          const t0 = performance.now();
          await log.append(event, owner);
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const stats = log.stats();
    await log.close();
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return { eventsPerSec: (runs * events) / seconds, inserts: stats.flushes, meanBatch: stats.events / stats.flushes, p50: at(0.5), p99: at(0.99) };
  } finally {
    await scratch.drop();
  }
}

process.stdout.write(`event log benchmark (node ${process.version}; ${RUNS} concurrent runs × ${EVENTS} events)\n`);
process.stdout.write(`  ${"engine".padEnd(10)} ${"mode".padEnd(34)} ${"events/s".padStart(9)} ${"INSERTs".padStart(8)} ${"rows/INSERT".padStart(11)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)}\n`);
for (const target of storeTargets()) {
  const rows: [string, Figures][] = [
    [`group commit (${RUNS}×${EVENTS})`, await measure(target, RUNS, EVENTS)],
    [`one row per INSERT (${RUNS}×${Math.max(1, Math.floor(EVENTS / 5))})`, await measure(target, RUNS, Math.max(1, Math.floor(EVENTS / 5)), 1)],
  ];
  for (const [mode, f] of rows) {
    process.stdout.write(
      `  ${target.name.padEnd(10)} ${mode.padEnd(34)} ${f.eventsPerSec.toFixed(0).padStart(9)} ${String(f.inserts).padStart(8)} ${f.meanBatch.toFixed(1).padStart(11)} ${f.p50.toFixed(1).padStart(7)} ${f.p99.toFixed(1).padStart(7)}\n`,
    );
  }
}
