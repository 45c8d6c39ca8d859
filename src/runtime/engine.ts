import { ApexError, toApexError } from "../protocol/errors.ts";
import type { Report } from "../protocol/report.ts";
import { ErrorCode, EventMode, EventType, type CancelledByName, type EventModeName } from "../protocol/names.ts";
import { raceAbort, timeoutController } from "./abort.ts";
import type { Agent, AgentInput, AgentView } from "./agent.ts";
import type { UserExecutionContext } from "./context.ts";
import type { RunEmitter } from "./emitter.ts";
import { uuidv7 } from "./ids.ts";
import type { Answer, InterruptBroker, Question } from "./interrupts.ts";
import { NO_INSTRUMENTATION, type RunInstrumentation } from "./instrumentation.ts";
import type { MetadataStore } from "./metadata.ts";
import type { ToolDispatcher, ToolStats } from "./tool-dispatcher.ts";

// Runs one pipeline for one context. The engine, not the agents, emits every lifecycle event, so no agent can forget one.

export interface ExecutionEngineConfig {
  /** Reuse the result of an identical successful tool call within a run. */
  caching: boolean;
  /** Collect per-agent and per-tool timings into the run outcome. */
  metrics: boolean;
  /** `critical` drops optional events (partial_result); `full` sends everything. */
  eventMode: EventModeName;
  /** Longest an agent attempt may take. */
  agentTimeoutMs: number;
  /** Default longest a tool call may take (a tool may set its own). */
  toolTimeoutMs: number;
  /** Extra attempts for an agent whose error is retryable (a timeout, a busy service). */
  retries: number;
}

export const DEFAULT_ENGINE_CONFIG: Readonly<ExecutionEngineConfig> = Object.freeze({
  caching: true,
  metrics: true,
  eventMode: EventMode.FULL,
  agentTimeoutMs: 120_000,
  toolTimeoutMs: 30_000,
  retries: 0,
});

export type RunStatus = "completed" | "failed" | "cancelled";

export interface AgentMetrics {
  name: string;
  status: "completed" | "failed" | "cancelled" | "skipped";
  duration_ms: number;
  attempts: number;
  skip_reason?: string;
}

export interface RunOutcome {
  runId: string;
  status: RunStatus;
  durationMs: number;
  agentsRun: string[];
  error?: ApexError;
  metrics?: { agents: AgentMetrics[]; tools: Readonly<Record<string, ToolStats>> };
}

/** What the engine needs for one run; the factory builds it fresh per request. */
export interface EngineParts<S> {
  context: UserExecutionContext;
  request: string;
  pipeline: readonly Agent<S>[];
  emitter: RunEmitter;
  metadata: MetadataStore;
  dispatcher: ToolDispatcher<S>;
  services: S;
  config: Readonly<ExecutionEngineConfig>;
  /** Who aborted the run's signal, when it was aborted. */
  cancelledBy: () => CancelledByName;
  /** Where an agent's questions to the user go; without it, `ask` fails with `input_unavailable`. */
  interrupts?: InterruptBroker;
  /** Wraps each agent (a span per agent in the server); none by default. */
  instrumentation?: RunInstrumentation;
}

type AgentEnd = { status: "completed" } | { status: "failed"; error: ApexError } | { status: "cancelled" };

export class ExecutionEngine<S = unknown> {
  readonly #parts: EngineParts<S>;
  readonly #agentMetrics: AgentMetrics[] = [];
  #ran = false;

  constructor(parts: EngineParts<S>) {
    this.#parts = parts;
  }

  /** Runs the pipeline once; resolves with the outcome after the terminal event is stored. */
  async run(): Promise<RunOutcome> {
    if (this.#ran) throw new ApexError(ErrorCode.INVALID_REQUEST, "An engine runs one pipeline once; ask the factory for a new one.");
    this.#ran = true;
    const { context, emitter, pipeline, request } = this.#parts;
    const started = performance.now();
    const agentsRun: string[] = [];
    await emitter.emit(EventType.RUN_STARTED, { pipeline: pipeline.map((a) => a.name), request });

    let end: AgentEnd = { status: "completed" };
    let atAgent: string | null = null;
    for (const [index, agent] of pipeline.entries()) {
      if (context.signal.aborted) {
        end = { status: "cancelled" };
        break;
      }
      const skipReason = this.#skipReason(agent);
      if (skipReason) {
        this.#agentMetrics.push({ name: agent.name, status: "skipped", duration_ms: 0, attempts: 0, skip_reason: skipReason });
        continue;
      }
      agentsRun.push(agent.name);
      const instrumentation = this.#parts.instrumentation ?? NO_INSTRUMENTATION;
      const agentEnd = await instrumentation.agent(agent.name, () => this.#runAgent(agent, index + 1));
      if (agentEnd.status === "cancelled" || (agentEnd.status === "failed" && agent.required !== false)) {
        end = agentEnd;
        atAgent = agent.name;
        break;
      }
    }

    const durationMs = performance.now() - started;
    if (end.status === "cancelled") {
      await emitter.emit(EventType.RUN_CANCELLED, { by: this.#parts.cancelledBy(), at_agent: atAgent });
      return this.#outcome("cancelled", durationMs, agentsRun);
    }
    if (end.status === "failed") {
      await emitter.emit(EventType.RUN_FAILED, { error: end.error.toWire() });
      return this.#outcome("failed", durationMs, agentsRun, end.error);
    }
    await emitter.emit(EventType.RUN_COMPLETED, { duration_ms: durationMs, agents_run: agentsRun });
    return this.#outcome("completed", durationMs, agentsRun);
  }

  #skipReason(agent: Agent<S>): string | null {
    const { context, request, metadata, services } = this.#parts;
    const view: AgentView<S> = { context, request, metadata, services };
    return agent.skip?.(view) ?? null;
  }

  async #runAgent(agent: Agent<S>, step: number): Promise<AgentEnd> {
    const { emitter, pipeline, config, context } = this.#parts;
    const total = pipeline.length;
    const started = performance.now();
    await emitter.emit(EventType.AGENT_STARTED, { agent_name: agent.name, step, total_steps: total });
    await this.#think(agent.name, step, agent.description);

    let attempts = 0;
    let end: AgentEnd;
    let summary = "";
    for (;;) {
      attempts += 1;
      ({ end, summary } = await this.#attempt(agent, step));
      const retry = end.status === "failed" && end.error.retryable && attempts <= config.retries && !context.signal.aborted;
      if (!retry) break;
      await this.#think(
        agent.name,
        step,
        `Attempt ${attempts} failed (${end.status === "failed" ? end.error.message : ""}); trying again (${attempts + 1} of ${config.retries + 1}).`,
      );
    }

    const durationMs = performance.now() - started;
    this.#agentMetrics.push({ name: agent.name, status: end.status, duration_ms: durationMs, attempts });
    if (end.status === "completed") {
      await emitter.emit(EventType.AGENT_COMPLETED, { agent_name: agent.name, status: "completed", duration_ms: durationMs, summary });
      return end;
    }
    const error =
      end.status === "cancelled"
        ? new ApexError(ErrorCode.CANCELLED, `The run was cancelled while "${agent.name}" was working.`)
        : end.error;
    await emitter.emit(EventType.AGENT_ERROR, {
      agent_name: agent.name,
      error: error.toWire(),
      recoverable: end.status === "failed" && agent.required === false,
    });
    return end;
  }

  /** One attempt: the agent runs until it returns, throws, times out or the run is cancelled; its tools are then closed. */
  async #attempt(agent: Agent<S>, step: number): Promise<{ end: AgentEnd; summary: string }> {
    const { context, config, dispatcher, emitter, metadata, request, services } = this.#parts;
    const deadline = timeoutController(config.agentTimeoutMs, () =>
      new ApexError(ErrorCode.AGENT_TIMEOUT, `Agent "${agent.name}" took longer than ${config.agentTimeoutMs} ms and was stopped.`, {
        retryable: true,
      }),
    );
    const signal = AbortSignal.any([context.signal, deadline.signal]);
    const tools = dispatcher.open(agent.name);
    const open = new AbortController();
    const guard = (what: string): void => {
      if (open.signal.aborted) throw new ApexError(ErrorCode.AGENT_ENDED, `Agent "${agent.name}" has ended; its ${what} was not sent.`);
    };
    const input: AgentInput<S> = {
      context,
      request,
      metadata,
      services,
      tools,
      signal,
      think: async (thought) => {
        guard("thought");
        await this.#think(agent.name, step, thought);
      },
      partial: async (content) => {
        guard("partial result");
        await emitter.emit(EventType.PARTIAL_RESULT, { agent_name: agent.name, content });
      },
      report: async (report: Report) => {
        guard("report");
        await emitter.emit(EventType.FINAL_REPORT, { report });
      },
      ask: async (question) => {
        guard("question");
        deadline.pause();
        try {
          return await this.#ask(question, signal);
        } finally {
          deadline.resume();
        }
      },
    };

    let end: AgentEnd;
    let summary = "";
    try {
      const result = await raceAbort(Promise.resolve().then(() => agent.run(input)), signal);
      summary = typeof result?.summary === "string" ? result.summary : "";
      end = { status: "completed" };
    } catch (thrown) {
      end = context.signal.aborted
        ? { status: "cancelled" }
        : { status: "failed", error: toApexError(thrown, ErrorCode.AGENT_FAILED) };
    } finally {
      deadline.dispose();
      open.abort();
      await tools.close();
    }
    return { end, summary };
  }

  async #ask(question: Question, signal: AbortSignal): Promise<Answer | null> {
    const { context, emitter, interrupts } = this.#parts;
    if (interrupts === undefined) {
      throw new ApexError(ErrorCode.INPUT_UNAVAILABLE, "This run cannot ask you anything (it has no way to wait for an answer); run it from the chat.");
    }
    const id = uuidv7();
    const expiresAt = new Date(Date.now() + question.expiresInMs);
    const { kind, prompt, options } = question;
    await interrupts.open({ id, runId: context.runId, userId: context.userId, kind, prompt, options, expiresAt });
    await emitter.emit(EventType.AWAITING_INPUT, { interrupt_id: id, kind, prompt, options, expires_at: expiresAt.toISOString() });
    return interrupts.wait(id, signal);
  }

  async #think(agentName: string, step: number, thought: string): Promise<void> {
    await this.#parts.emitter.emit(EventType.AGENT_THINKING, {
      agent_name: agentName,
      thought,
      step_number: step,
      total_steps: this.#parts.pipeline.length,
    });
  }

  #outcome(status: RunStatus, durationMs: number, agentsRun: string[], error?: ApexError): RunOutcome {
    const { config, context, dispatcher } = this.#parts;
    return {
      runId: context.runId,
      status,
      durationMs,
      agentsRun,
      ...(error === undefined ? {} : { error }),
      ...(config.metrics ? { metrics: { agents: this.#agentMetrics, tools: dispatcher.stats() } } : {}),
    };
  }
}
