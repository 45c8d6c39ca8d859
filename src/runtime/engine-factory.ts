import { MAX_MESSAGE_CHARS } from "../protocol/commands.ts";
import { ApexError } from "../protocol/errors.ts";
import { CancelledBy, ErrorCode, PIPELINE, type CancelledByName, type RoleName, type TierName } from "../protocol/names.ts";
import { raceAbort } from "./abort.ts";
import type { Agent } from "./agent.ts";
import { UserExecutionContext } from "./context.ts";
import { RunEmitter } from "./emitter.ts";
import { DEFAULT_ENGINE_CONFIG, ExecutionEngine, type ExecutionEngineConfig, type RunOutcome } from "./engine.ts";
import type { EventSink } from "./event-sink.ts";
import type { InterruptBroker } from "./interrupts.ts";
import { NO_INSTRUMENTATION, type RunInstrumentation } from "./instrumentation.ts";
import { uuidv7 } from "./ids.ts";
import { MetadataStore } from "./metadata.ts";
import type { Registry } from "./registry.ts";
import { ToolDispatcher, type ToolDeniedHook } from "./tool-dispatcher.ts";
import type { AnyTool } from "./tool.ts";

// The only way to get an engine: a fresh context, emitter, metadata store, tool dispatcher and engine per request,
// a per-user limit on runs in flight, and cleanup on every path.

const DEFAULT_MAX_CONCURRENT_RUNS = 2;

export interface ExecutionEngineFactoryOptions<S> {
  agents: Registry<Agent<S>>;
  tools: Registry<AnyTool<S>>;
  sink: EventSink;
  /** Shared services handed to agents and tools (stores, LLM, prices); per-request state never goes here. */
  services: S;
  config?: Partial<ExecutionEngineConfig>;
  /** Agent names in run order; the canonical pipeline by default. */
  pipeline?: readonly string[];
  maxConcurrentRunsPerUser?: number;
  /** Where agents' questions to the user wait for answers (`ask`); runs cannot ask without one. */
  interrupts?: InterruptBroker;
  /** Told of every tool call refused for the caller's role (the server audits it). */
  onToolDenied?: ToolDeniedHook;
  /** Wraps every run, agent and tool call (the server's telemetry: spans, the trace id of the events). */
  instrumentation?: RunInstrumentation;
}

export interface RunRequest<S = unknown> {
  userId: string;
  threadId: string;
  /** Chosen by the caller when it must know the id first (e.g. to store the run row); generated otherwise. */
  runId?: string;
  role?: RoleName;
  tier?: TierName;
  request: string;
  /** Services of this run only, over the factory's (e.g. prices pinned to the catalog version in force at its start). */
  services?: Partial<S>;
  /**
   * The run waits for this before it starts (its turn in the node's queue); it counts towards the per-user limit
   * meanwhile. Cancelled while waiting, it starts at once to log `run_started` then `run_cancelled`.
   */
  startWhen?: Promise<unknown>;
}

export interface RunHandle {
  runId: string;
  threadId: string;
  context: UserExecutionContext;
  /** Resolves after the run's terminal event is stored; rejects only if the event sink fails. */
  done: Promise<RunOutcome>;
}

interface ActiveRun {
  userId: string;
  controller: AbortController;
  cancelledBy: CancelledByName;
  done: Promise<unknown>;
}

export class ExecutionEngineFactory<S = unknown> {
  readonly #options: ExecutionEngineFactoryOptions<S>;
  readonly #config: Readonly<ExecutionEngineConfig>;
  readonly #pipeline: readonly string[];
  readonly #maxPerUser: number;
  readonly #runs = new Map<string, ActiveRun>();

  constructor(options: ExecutionEngineFactoryOptions<S>) {
    this.#options = options;
    this.#config = Object.freeze({ ...DEFAULT_ENGINE_CONFIG, ...options.config });
    this.#pipeline = Object.freeze([...(options.pipeline ?? PIPELINE)]);
    this.#maxPerUser = options.maxConcurrentRunsPerUser ?? DEFAULT_MAX_CONCURRENT_RUNS;
    if (!Number.isInteger(this.#maxPerUser) || this.#maxPerUser < 1) {
      throw new ApexError(ErrorCode.INVALID_CONFIG, `The per-user run limit must be a whole number ≥ 1, not ${this.#maxPerUser}.`);
    }
    const missing = this.#pipeline.filter((name) => !options.agents.has(name));
    if (missing.length > 0) {
      throw new ApexError(ErrorCode.UNKNOWN_AGENT, `The pipeline names agents that are not registered: ${missing.join(", ")}.`);
    }
    options.agents.freeze();
    options.tools.freeze();
  }

  /**
   * Starts a run and returns at once with its handle; the run goes on in the background. Throws `too_many_runs` when the
   * user already has the maximum of runs in flight (waiting ones included), `invalid_request` for an empty or oversized request, and
   * `invalid_context` for bad ids.
   */
  start(request: RunRequest<S>): RunHandle {
    const text = request.request.trim();
    if (text === "") throw new ApexError(ErrorCode.INVALID_REQUEST, "The message is empty: type a question about your LLM usage.");
    if (text.length > MAX_MESSAGE_CHARS) {
      throw new ApexError(ErrorCode.INVALID_REQUEST, `The message has ${text.length} characters; keep it under ${MAX_MESSAGE_CHARS}.`);
    }
    const inFlight = this.activeRuns(request.userId).length;
    if (inFlight >= this.#maxPerUser) {
      throw new ApexError(
        ErrorCode.TOO_MANY_RUNS,
        `You already have ${inFlight} runs in progress or waiting (the limit is ${this.#maxPerUser}); wait for one to finish or cancel it.`,
        { retryable: true },
      );
    }
    const controller = new AbortController();
    const context = UserExecutionContext.create({
      userId: request.userId,
      threadId: request.threadId,
      runId: request.runId ?? uuidv7(),
      role: request.role,
      tier: request.tier,
      signal: controller.signal,
    });
    if (this.#runs.has(context.runId)) {
      throw new ApexError(ErrorCode.INVALID_REQUEST, `Run ${context.runId} is already running; every run needs a new id.`);
    }
    const active: ActiveRun = { userId: context.userId, controller, cancelledBy: CancelledBy.USER, done: Promise.resolve() };
    this.#runs.set(context.runId, active);
    const services = request.services === undefined ? this.#options.services : { ...this.#options.services, ...request.services };
    const done = this.#run(context, text, active, services, request.startWhen).finally(() => {
      this.#runs.delete(context.runId);
    });
    active.done = done.catch(() => undefined);
    return { runId: context.runId, threadId: context.threadId, context, done };
  }

  /** Cancels a run of `userId`; false when that user has no such run in flight (another user's run is never touched). */
  cancel(runId: string, userId: string, by: CancelledByName = CancelledBy.USER): boolean {
    const active = this.#runs.get(runId);
    if (active === undefined || active.userId !== userId) return false;
    if (!active.controller.signal.aborted) {
      active.cancelledBy = by;
      active.controller.abort(new ApexError(ErrorCode.CANCELLED, `Run ${runId} was cancelled by the ${by}.`));
    }
    return true;
  }

  /** The ids of `userId`'s runs in flight, waiting ones included. */
  activeRuns(userId: string): string[] {
    return [...this.#runs].filter(([, run]) => run.userId === userId).map(([runId]) => runId);
  }

  /** Cancels every run in flight (as the server) and waits for them to end: for shutdown. */
  async shutdown(): Promise<void> {
    const runs = [...this.#runs.entries()];
    for (const [runId, run] of runs) this.cancel(runId, run.userId, CancelledBy.SERVER);
    await Promise.all(runs.map(([, run]) => run.done));
  }

  // async: whatever building the engine throws becomes the run's rejection, never a throw out of start().
  async #run(context: UserExecutionContext, request: string, active: ActiveRun, services: S, startWhen?: Promise<unknown>): Promise<RunOutcome> {
    if (startWhen !== undefined) await raceAbort(startWhen, context.signal).catch(() => undefined);
    const instrumentation = this.#options.instrumentation ?? NO_INSTRUMENTATION;
    return instrumentation.run({ runId: context.runId, threadId: context.threadId }, (traceId) =>
      this.#engine(context, request, active, services, instrumentation, traceId).run(),
    );
  }

  #engine(
    context: UserExecutionContext,
    request: string,
    active: ActiveRun,
    services: S,
    instrumentation: RunInstrumentation,
    traceId: string | undefined,
  ): ExecutionEngine<S> {
    const { agents, tools, sink } = this.#options;
    const emitter = new RunEmitter(context, sink, this.#config.eventMode, traceId);
    const dispatcher = new ToolDispatcher<S>({
      context,
      tools,
      emitter,
      services,
      defaultTimeoutMs: this.#config.toolTimeoutMs,
      caching: this.#config.caching,
      instrumentation,
      ...(this.#options.onToolDenied === undefined ? {} : { onToolDenied: this.#options.onToolDenied }),
    });
    return new ExecutionEngine<S>({
      context,
      request,
      pipeline: this.#pipeline.map((name) => agents.create(name, context)),
      emitter,
      metadata: new MetadataStore(),
      dispatcher,
      services,
      config: this.#config,
      cancelledBy: () => active.cancelledBy,
      instrumentation,
      ...(this.#options.interrupts === undefined ? {} : { interrupts: this.#options.interrupts }),
    });
  }
}
