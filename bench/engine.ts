// Engine throughput and memory: a five-agent pipeline whose tools do no work, so what is measured is the runtime
// itself (context, emitter with schema validation, dispatcher, engine, factory, in-memory sink).
// Run: npm run bench:engine   (pins itself to one core with taskset when available; see bench/README.md)
import { z } from "zod";
import { AgentName } from "../src/protocol/names.ts";
import type { Agent } from "../src/runtime/agent.ts";
import { ExecutionEngineFactory } from "../src/runtime/engine-factory.ts";
import { MemoryEventSink } from "../src/runtime/event-sink.ts";
import { Registry } from "../src/runtime/registry.ts";
import { defineTool, type AnyTool } from "../src/runtime/tool.ts";

type Gate = { wait: Promise<void> | null };

const FIVE_AGENTS = [AgentName.TRIAGE, AgentName.DATA, AgentName.OPTIMIZE, AgentName.ACTIONS, AgentName.REPORT];

function buildFactory(gate: Gate) {
  const noop = defineTool({
    name: "noop",
    description: "Does nothing (optionally waits at the gate, to hold runs in flight).",
    parameters: z.object({ step: z.number() }),
    execute: async ({ step }) => {
      if (gate.wait !== null) await gate.wait;
      return { step };
    },
  });
  const tools = new Registry<AnyTool<undefined>>("tool").register(noop.name, noop);
  const agents = new Registry<Agent<undefined>>("agent");
  FIVE_AGENTS.forEach((name, i) =>
    agents.register(name, {
      name,
      description: `Bench agent ${name}.`,
      async run({ tools: t }) {
        await t.call("noop", { step: i });
        return { summary: "ok" };
      },
    }),
  );
  const sink = new MemoryEventSink();
  const factory = new ExecutionEngineFactory<undefined>({
    agents,
    tools,
    sink,
    services: undefined,
    pipeline: FIVE_AGENTS,
    config: { caching: false },
    maxConcurrentRunsPerUser: 1_000_000,
  });
  return { factory, sink };
}

function gc(): void {
  for (let i = 0; i < 3; i += 1) (globalThis as { gc?: () => void }).gc?.();
}

async function throughput(runs: number, concurrency: number): Promise<{ runsPerSec: number; eventsPerRun: number }> {
  const { factory, sink } = buildFactory({ wait: null });
  let events = 0;
  const started = performance.now();
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    while (next < runs) {
      next += 1;
      const handle = factory.start({ userId: `user-${w}`, threadId: "bench-thread", request: "bench" });
      await handle.done;
      events += sink.events(handle.runId, `user-${w}`).length;
      sink.forget(handle.runId);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  return { runsPerSec: runs / seconds, eventsPerRun: events / runs };
}

async function memoryPerRun(inFlight: number): Promise<number> {
  let release: () => void = () => undefined;
  const gate: Gate = { wait: new Promise<void>((resolve) => (release = resolve)) };
  const { factory } = buildFactory(gate);
  gc();
  const before = process.memoryUsage().heapUsed;
  const handles = Array.from({ length: inFlight }, (_, i) => factory.start({ userId: `user-${i}`, threadId: "t", request: "bench" }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  const during = process.memoryUsage().heapUsed;
  release();
  await Promise.all(handles.map((h) => h.done));
  return (during - before) / inFlight;
}

const RUNS = Number(process.env.BENCH_RUNS ?? 5000);
await throughput(500, 1); // warm-up
const perRun = await memoryPerRun(2000);
const serial = await throughput(RUNS, 1);
const parallel = await throughput(RUNS, 50);
const rows: [string, string][] = [
  ["runs/s, one run at a time", serial.runsPerSec.toFixed(0)],
  ["runs/s, 50 runs in flight", parallel.runsPerSec.toFixed(0)],
  ["events per run", serial.eventsPerRun.toFixed(0)],
  ["heap per in-flight run (KiB, 2000 held at a tool call)", (perRun / 1024).toFixed(1)],
];
process.stdout.write(`engine benchmark (${RUNS} runs, node ${process.version}, gc exposed: ${typeof (globalThis as { gc?: unknown }).gc === "function"})\n`);
for (const [name, value] of rows) process.stdout.write(`  ${name.padEnd(56)} ${value}\n`);
