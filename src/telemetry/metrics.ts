import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RunEvent } from "../protocol/events.ts";
import { EventType } from "../protocol/names.ts";

// The Prometheus metrics of one Apex process, in a registry of its own (never prom-client's global one, so two apps
// in one process — tests, benchmarks — never share counters). What is counted comes from committed run events, so
// the figures agree with the event log: runs, events, per-agent durations, event-log batches; plus what only the
// server sees: connections and fan-out lag, the LLM calls Apex itself makes (tokens, cost) and usage ingests.

const PREFIX = "apex_";
const TERMINAL: ReadonlySet<string> = new Set([EventType.RUN_COMPLETED, EventType.RUN_FAILED, EventType.RUN_CANCELLED]);
const AGENT_ENDED: ReadonlySet<string> = new Set([EventType.AGENT_COMPLETED, EventType.AGENT_ERROR]);
const MS_PER_S = 1000;
const DURATION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** One LLM call as the metrics count it (the shape of llm/'s ChatResult). */
export interface LlmCall {
  provider: string;
  model: string;
  usage: { input_tokens: number; output_tokens: number };
  cost_usd: number | null;
}

/** One ingest as the metrics count it (the protocol's IngestSummary). */
export interface IngestCount {
  format: string;
  ingested: number;
  duplicates: number;
  rejected: number;
}

export class ApexMetrics {
  readonly registry = new Registry();
  readonly #runsStarted: Counter;
  readonly #runsFinished: Counter<"outcome">;
  readonly #events: Counter<"type">;
  readonly #agentDuration: Histogram<"agent" | "status">;
  readonly #batchSize: Histogram;
  readonly #fanOutLag: Histogram;
  readonly #toolDuration: Histogram<"tool" | "ok">;
  readonly #llmCalls: Counter<"provider" | "model">;
  readonly #llmTokens: Counter<"provider" | "model" | "token_type">;
  readonly #llmCost: Counter<"provider" | "model">;
  readonly #ingested: Counter<"format" | "result">;
  /** Runs started here and not ended, each with the start times of its running agents. */
  readonly #running = new Map<string, Map<string, number>>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.#runsStarted = new Counter({ name: `${PREFIX}runs_started_total`, help: "Runs started on this node.", registers });
    this.#runsFinished = new Counter({
      name: `${PREFIX}runs_finished_total`,
      help: "Runs ended on this node, by outcome (the terminal event's type).",
      labelNames: ["outcome"],
      registers,
    });
    const running = this.#running;
    new Gauge({
      name: `${PREFIX}runs_in_flight`,
      help: "Runs started on this node and not yet ended.",
      registers,
      collect() {
        this.set(running.size);
      },
    });
    this.#events = new Counter({
      name: `${PREFIX}events_total`,
      help: "Run events committed to the event log by this node, by type (rate() of it is events/s).",
      labelNames: ["type"],
      registers,
    });
    this.#agentDuration = new Histogram({
      name: `${PREFIX}agent_duration_seconds`,
      help: "How long each agent ran, by agent and how it ended (completed or error).",
      labelNames: ["agent", "status"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#toolDuration = new Histogram({
      name: `${PREFIX}tool_duration_seconds`,
      help: "How long each tool call took, by tool and whether it succeeded (ok is true or false).",
      labelNames: ["tool", "ok"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#llmCalls = new Counter({
      name: `${PREFIX}llm_calls_total`,
      help: "LLM calls Apex itself made (to word summaries, classify requests) that got an answer, by provider and model.",
      labelNames: ["provider", "model"],
      registers,
    });
    this.#llmTokens = new Counter({
      name: `${PREFIX}llm_tokens_total`,
      help: "Tokens of Apex's own LLM calls, by provider, model and token_type (input includes cached, output includes reasoning).",
      labelNames: ["provider", "model", "token_type"],
      registers,
    });
    this.#llmCost = new Counter({
      name: `${PREFIX}llm_cost_usd_total`,
      help: "What Apex's own LLM calls cost in USD by the price book, by provider and model (unpriced calls add nothing).",
      labelNames: ["provider", "model"],
      registers,
    });
    this.#ingested = new Counter({
      name: `${PREFIX}usage_records_total`,
      help: "Usage records read by ingests (uploads, demo data, synthetic jobs), by format and result (ingested, duplicate, rejected).",
      labelNames: ["format", "result"],
      registers,
    });
    this.#batchSize = new Histogram({
      name: `${PREFIX}event_log_batch_events`,
      help: "Events written per event-log group commit (one INSERT).",
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
      registers,
    });
    this.#fanOutLag = new Histogram({
      name: `${PREFIX}fanout_lag_seconds`,
      help: "From an event's emit time (its ts) to its delivery to a follower on this node, through the log and the bus.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
  }

  /** One group commit of the event log: its size, and what its events say about runs and agents. */
  observeCommitted(events: readonly RunEvent[]): void {
    if (events.length === 0) return;
    this.#batchSize.observe(events.length);
    for (const event of events) {
      this.#events.inc({ type: event.type });
      if (event.type === EventType.RUN_STARTED) {
        this.#runsStarted.inc();
        this.#running.set(event.run_id, new Map());
      } else if (TERMINAL.has(event.type)) {
        // A sweeper closes runs of dead nodes: counted as finished here, never in flight here.
        this.#runsFinished.inc({ outcome: event.type });
        this.#running.delete(event.run_id);
      } else if (event.type === EventType.AGENT_STARTED) {
        this.#running.get(event.run_id)?.set(event.agent_name ?? "", Date.parse(event.ts));
      } else if (AGENT_ENDED.has(event.type)) {
        this.#observeAgentEnd(event);
      } else if (event.type === EventType.TOOL_COMPLETED) {
        this.#toolDuration.observe({ tool: event.data.tool_name, ok: String(event.data.ok) }, event.data.duration_ms / MS_PER_S);
      }
    }
  }

  /** A committed event reached a follower on this node (a socket, an AG-UI stream). */
  observeDelivery(event: RunEvent, now = Date.now()): void {
    this.#fanOutLag.observe(Math.max(0, now - Date.parse(event.ts)) / MS_PER_S);
  }

  /** An LLM call of Apex's own that got an answer. */
  observeLlmCall(call: LlmCall): void {
    const labels = { provider: call.provider, model: call.model };
    this.#llmCalls.inc(labels);
    this.#llmTokens.inc({ ...labels, token_type: "input" }, call.usage.input_tokens);
    this.#llmTokens.inc({ ...labels, token_type: "output" }, call.usage.output_tokens);
    if (call.cost_usd !== null) this.#llmCost.inc(labels, call.cost_usd);
  }

  /** One finished ingest: its records by result (no corpus or owner label: they are unbounded). */
  observeIngest(summary: IngestCount): void {
    this.#ingested.inc({ format: summary.format, result: "ingested" }, summary.ingested);
    this.#ingested.inc({ format: summary.format, result: "duplicate" }, summary.duplicates);
    this.#ingested.inc({ format: summary.format, result: "rejected" }, summary.rejected);
  }

  /** Open WebSocket connections, read when scraped. */
  trackConnections(count: () => number): void {
    new Gauge({
      name: `${PREFIX}ws_connections`,
      help: "Open WebSocket connections on this node.",
      registers: [this.registry],
      collect() {
        this.set(count());
      },
    });
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #observeAgentEnd(event: RunEvent): void {
    const agents = this.#running.get(event.run_id);
    const startedAt = agents?.get(event.agent_name ?? "");
    agents?.delete(event.agent_name ?? "");
    // agent_completed carries its own duration; agent_error does not, so it is measured from agent_started.
    const reported = event.type === EventType.AGENT_COMPLETED ? (event.data as { duration_ms?: number }).duration_ms : undefined;
    const durationMs = reported ?? (startedAt === undefined ? undefined : Date.parse(event.ts) - startedAt);
    if (durationMs === undefined) return;
    const status = event.type === EventType.AGENT_COMPLETED ? "completed" : "error";
    this.#agentDuration.observe({ agent: event.agent_name ?? "unknown", status }, Math.max(0, durationMs) / MS_PER_S);
  }
}
