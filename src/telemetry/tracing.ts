import { AsyncLocalStorage } from "node:async_hooks";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context as otelContext, trace, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { NodeTracerProvider, type SpanProcessor } from "@opentelemetry/sdk-trace-node";
import { spanExportFromEnv } from "./exporters.ts";

// The spans of Apex, named by the OpenTelemetry GenAI conventions: `invoke_workflow apex` per run (a trace of its
// own), `invoke_agent {agent}` per agent, `execute_tool {tool}` per tool call and `chat {model}` per LLM call. Each
// app has its own tracer provider and async context (two apps in one process never mix spans); the span in force is
// also handed to the global OTel context, so an operator's own instrumentation nests under it.

const TRACER = "apex";
const WORKFLOW = "apex";
const Attr = {
  OPERATION: "gen_ai.operation.name",
  PROVIDER: "gen_ai.provider.name",
  /** The older name of gen_ai.provider.name, still read by most backends. */
  SYSTEM: "gen_ai.system",
  AGENT: "gen_ai.agent.name",
  CONVERSATION: "gen_ai.conversation.id",
  TOOL: "gen_ai.tool.name",
  TOOL_CALL: "gen_ai.tool.call.id",
  TOOL_TYPE: "gen_ai.tool.type",
  REQUEST_MODEL: "gen_ai.request.model",
  TEMPERATURE: "gen_ai.request.temperature",
  MAX_TOKENS: "gen_ai.request.max_tokens",
  RESPONSE_MODEL: "gen_ai.response.model",
  FINISH_REASONS: "gen_ai.response.finish_reasons",
  INPUT_TOKENS: "gen_ai.usage.input_tokens",
  OUTPUT_TOKENS: "gen_ai.usage.output_tokens",
  CACHE_READ_TOKENS: "gen_ai.usage.cache_read.input_tokens",
  ERROR_TYPE: "error.type",
  RUN: "apex.run.id",
  THREAD: "apex.thread.id",
  OUTCOME: "apex.run.outcome",
  COST: "apex.llm.cost_usd",
} as const;

/** A run as its span names it (never the user: no e-mail, no user id). */
export interface TracedRun {
  runId: string;
  threadId: string;
}

export interface TracedTool {
  toolName: string;
  toolCallId: string;
  agentName: string;
}

/** How a run or agent ended: a `failed` status marks its span as an error. */
export interface TracedOutcome {
  status: string;
  error?: { code: string; message: string };
}

/** One LLM call as asked. */
export interface TracedChat {
  provider: string;
  model: string;
  temperature?: number;
  maxTokens?: number;
}

/** What the span reads from an LLM call's result (the shape of llm/'s ChatResult, which telemetry cannot import). */
export interface ChatReply {
  model: string;
  usage: { input_tokens: number; output_tokens: number; cache_read_tokens?: number };
  cost_usd: number | null;
  finish_reason: string | null;
}

/** Where the run start and end lines go (a pino logger). */
export interface RunLog {
  info(fields: object, message: string): void;
}

export interface TracingOptions {
  /** Extra span processors (a test's in-memory exporter), besides those the OTEL_* variables ask for. */
  spanProcessors?: SpanProcessor[];
}

export class ApexTracing {
  readonly #provider: NodeTracerProvider;
  readonly #tracer: Tracer;
  readonly #scope = new AsyncLocalStorage<Context>();
  #log: RunLog | undefined;

  /** A tracer with the test's processors and those the environment asks for (none by default). */
  static async open(options: TracingOptions = {}): Promise<ApexTracing> {
    const exported = await spanExportFromEnv();
    // Never register()ed: no global tracer provider, so two apps in one process keep their spans apart.
    const provider = new NodeTracerProvider({
      spanProcessors: [...(options.spanProcessors ?? []), ...exported.processors],
      ...(exported.resource === undefined ? {} : { resource: exported.resource }),
    });
    return new ApexTracing(provider);
  }

  private constructor(provider: NodeTracerProvider) {
    this.#provider = provider;
    this.#tracer = provider.getTracer(TRACER);
  }

  /** Logs each run's start and end (with its trace id, outcome and duration) to `log`. */
  logRunsTo(log: RunLog): void {
    this.#log = log;
  }

  /** The trace and span in force, for every log line written inside a run. */
  logFields(): { trace_id?: string; span_id?: string } {
    const span = trace.getSpan(this.#scope.getStore() ?? ROOT_CONTEXT);
    if (span === undefined) return {};
    const { traceId, spanId } = span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  }

  /** The run's root span: a new trace, whatever request started it. */
  run<T extends TracedOutcome>(run: TracedRun, fn: (traceId: string) => Promise<T>): Promise<T> {
    const attributes = { [Attr.OPERATION]: "invoke_workflow", [Attr.RUN]: run.runId, [Attr.THREAD]: run.threadId, [Attr.CONVERSATION]: run.threadId };
    return this.#inSpan(`invoke_workflow ${WORKFLOW}`, SpanKind.INTERNAL, attributes, ROOT_CONTEXT, async (span) => {
      const traceId = span.spanContext().traceId;
      const started = performance.now();
      const ids = { run_id: run.runId, thread_id: run.threadId, trace_id: traceId };
      this.#log?.info(ids, "run started");
      let outcome = "error";
      try {
        const end = await fn(traceId);
        outcome = end.status;
        span.setAttribute(Attr.OUTCOME, end.status);
        markOutcome(span, end);
        return end;
      } finally {
        this.#log?.info({ ...ids, outcome, duration_ms: Math.round(performance.now() - started) }, "run ended");
      }
    });
  }

  agent<T extends TracedOutcome>(agentName: string, fn: () => Promise<T>): Promise<T> {
    const attributes = { [Attr.OPERATION]: "invoke_agent", [Attr.AGENT]: agentName };
    return this.#inSpan(`invoke_agent ${agentName}`, SpanKind.INTERNAL, attributes, this.#active(), async (span) => markOutcome(span, await fn()));
  }

  tool<T>(tool: TracedTool, fn: () => Promise<T>): Promise<T> {
    const attributes = {
      [Attr.OPERATION]: "execute_tool",
      [Attr.TOOL]: tool.toolName,
      [Attr.TOOL_CALL]: tool.toolCallId,
      [Attr.TOOL_TYPE]: "function",
      [Attr.AGENT]: tool.agentName,
    };
    return this.#inSpan(`execute_tool ${tool.toolName}`, SpanKind.INTERNAL, attributes, this.#active(), fn);
  }

  /** One LLM call, a child of the agent that made it. */
  chat<R extends ChatReply>(call: TracedChat, fn: () => Promise<R>): Promise<R> {
    const attributes: Attributes = {
      [Attr.OPERATION]: "chat",
      [Attr.PROVIDER]: call.provider,
      [Attr.SYSTEM]: call.provider,
      [Attr.REQUEST_MODEL]: call.model,
      ...(call.temperature === undefined ? {} : { [Attr.TEMPERATURE]: call.temperature }),
      ...(call.maxTokens === undefined ? {} : { [Attr.MAX_TOKENS]: call.maxTokens }),
    };
    return this.#inSpan(`chat ${call.model}`, SpanKind.CLIENT, attributes, this.#active(), async (span) => {
      const reply = await fn();
      span.setAttributes({
        [Attr.RESPONSE_MODEL]: reply.model,
        [Attr.INPUT_TOKENS]: reply.usage.input_tokens,
        [Attr.OUTPUT_TOKENS]: reply.usage.output_tokens,
        ...(reply.usage.cache_read_tokens === undefined ? {} : { [Attr.CACHE_READ_TOKENS]: reply.usage.cache_read_tokens }),
        ...(reply.finish_reason === null ? {} : { [Attr.FINISH_REASONS]: [reply.finish_reason] }),
        ...(reply.cost_usd === null ? {} : { [Attr.COST]: reply.cost_usd }),
      });
      return reply;
    });
  }

  /** Ends the exporters after sending what they hold. */
  shutdown(): Promise<void> {
    return this.#provider.shutdown();
  }

  #active(): Context {
    return this.#scope.getStore() ?? otelContext.active();
  }

  async #inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, parent: Context, fn: (span: Span) => Promise<T>): Promise<T> {
    const span = this.#tracer.startSpan(name, { kind, attributes }, parent);
    const inside = trace.setSpan(parent, span);
    try {
      return await this.#scope.run(inside, () => otelContext.with(inside, () => fn(span)));
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      markError(span, errorType(error), error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      span.end();
    }
  }
}

function markOutcome<T extends TracedOutcome>(span: Span, end: T): T {
  if (end.status === "failed") markError(span, end.error?.code ?? "failed", end.error?.message ?? "failed");
  return end;
}

function markError(span: Span, type: string, message: string): void {
  span.setAttribute(Attr.ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** An ApexError's code, else the error's class name. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.name : "unknown";
}
