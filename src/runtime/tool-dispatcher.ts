import { ApexError, toApexError } from "../protocol/errors.ts";
import { ErrorCode, EventType, type RoleName } from "../protocol/names.ts";
import { raceAbort, timeoutController } from "./abort.ts";
import type { AgentTools } from "./agent.ts";
import type { UserExecutionContext } from "./context.ts";
import type { RunEmitter } from "./emitter.ts";
import { uuidv7 } from "./ids.ts";
import { NO_INSTRUMENTATION, type RunInstrumentation } from "./instrumentation.ts";
import { frozenJson, type JsonValue } from "./json.ts";
import type { Registry } from "./registry.ts";
import type { AnyTool } from "./tool.ts";

// Request-scoped: every tool call of one run goes through here. Whatever happens (success, a thrown error, a timeout,
// a cancel, the calling agent ending) a call produces tool_executing and then exactly one tool_completed.

/** A call refused because the caller's role may not use the tool: what the server records in its audit log. */
export interface ToolDenial {
  toolName: string;
  /** The refused caller's run context (user id, role, run). */
  context: UserExecutionContext;
  parameters: Readonly<Record<string, JsonValue>>;
  allowedRoles: readonly RoleName[];
}

/** Called for every refused call before `forbidden` is thrown; it must not throw (log its own failures). */
export type ToolDeniedHook = (denial: ToolDenial) => Promise<void> | void;

export interface ToolDispatcherOptions<S> {
  context: UserExecutionContext;
  tools: Registry<AnyTool<S>>;
  emitter: RunEmitter;
  services: S;
  defaultTimeoutMs: number;
  /** Reuse the result of an identical successful call within the run. */
  caching: boolean;
  onToolDenied?: ToolDeniedHook;
  /** Wraps each call (a span per tool call in the server); none by default. */
  instrumentation?: RunInstrumentation;
}

export interface ToolStats {
  calls: number;
  failures: number;
  cached: number;
  totalMs: number;
}

/** One agent's access to the tools for one attempt; closing it ends its calls in flight. */
export interface AgentToolSession extends AgentTools {
  /** Aborts the calls still in flight, waits for their tool_completed, and refuses any later call. */
  close(): Promise<void>;
}

interface InFlight {
  controller: AbortController;
  done: Promise<unknown>;
}

function summarizeZodIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join(".") || "parameters"}: ${issue.message}`)
    .join("; ");
}

export class ToolDispatcher<S = unknown> {
  readonly #options: ToolDispatcherOptions<S>;
  readonly #cache = new Map<string, JsonValue>();
  readonly #stats = new Map<string, ToolStats>();

  constructor(options: ToolDispatcherOptions<S>) {
    this.#options = options;
  }

  /** Opens a session for one attempt of one agent. */
  open(agentName: string): AgentToolSession {
    const inFlight = new Set<InFlight>();
    const ended = new AbortController();
    return {
      call: <R>(toolName: string, parameters: Record<string, unknown>): Promise<R> => {
        if (ended.signal.aborted) {
          return Promise.reject(
            new ApexError(ErrorCode.AGENT_ENDED, `Agent "${agentName}" has ended; it can no longer call "${toolName}".`),
          );
        }
        const entry: InFlight = { controller: new AbortController(), done: Promise.resolve() };
        inFlight.add(entry);
        const toolCallId = `call_${uuidv7()}`;
        const instrumentation = this.#options.instrumentation ?? NO_INSTRUMENTATION;
        const done = instrumentation
          .tool({ toolName, toolCallId, agentName }, () => this.#call(agentName, toolName, toolCallId, parameters, entry.controller.signal))
          .finally(() => inFlight.delete(entry));
        entry.done = done.catch(() => undefined);
        return done as Promise<R>;
      },
      names: () => this.#options.tools.keys(),
      close: async () => {
        ended.abort();
        const pending = [...inFlight];
        for (const entry of pending) {
          entry.controller.abort(new ApexError(ErrorCode.CANCELLED, `Agent "${agentName}" ended before this tool finished.`));
        }
        await Promise.all(pending.map((entry) => entry.done));
      },
    };
  }

  /** Calls, failures, cache hits and time per tool so far in this run. */
  stats(): Readonly<Record<string, ToolStats>> {
    return Object.fromEntries([...this.#stats].map(([name, s]) => [name, { ...s }]));
  }

  async #call(agentName: string, toolName: string, toolCallId: string, rawParameters: unknown, agentEnded: AbortSignal): Promise<unknown> {
    const { emitter, context } = this.#options;
    const started = performance.now();
    let parameters: Record<string, JsonValue> = {};
    let parameterError: ApexError | undefined;
    try {
      const json = frozenJson(rawParameters ?? {}, `parameters of tool "${toolName}"`);
      if (json === null || typeof json !== "object" || Array.isArray(json)) {
        throw new ApexError(ErrorCode.INVALID_PARAMETERS, `Tool "${toolName}" takes an object of named parameters.`);
      }
      parameters = json as Record<string, JsonValue>;
    } catch (error) {
      parameterError = toApexError(error, ErrorCode.INVALID_PARAMETERS);
    }

    await emitter.emit(EventType.TOOL_EXECUTING, {
      agent_name: agentName,
      tool_name: toolName,
      tool_call_id: toolCallId,
      parameters,
    });

    const tool = this.#options.tools.has(toolName) ? this.#options.tools.create(toolName, context) : undefined;
    const timeoutMs = tool?.timeoutMs ?? this.#options.defaultTimeoutMs;
    const deadline = timeoutController(timeoutMs, () =>
      new ApexError(ErrorCode.TOOL_TIMEOUT, `Tool "${toolName}" took longer than ${timeoutMs} ms and was stopped.`, { retryable: true }),
    );
    const signal = AbortSignal.any([context.signal, agentEnded, deadline.signal]);
    let cached = false;
    try {
      if (parameterError !== undefined) throw parameterError;
      const cacheKey = `${toolName}\u0000${JSON.stringify(parameters)}`;
      const hit = this.#options.caching ? this.#cache.get(cacheKey) : undefined;
      let result: JsonValue;
      if (hit !== undefined) {
        cached = true;
        result = hit;
      } else {
        result = await raceAbort(this.#execute(tool, agentName, toolName, toolCallId, parameters, signal), signal);
        if (this.#options.caching) this.#cache.set(cacheKey, result);
      }
      await emitter.emit(EventType.TOOL_COMPLETED, {
        agent_name: agentName,
        tool_name: toolName,
        tool_call_id: toolCallId,
        ok: true,
        result,
        duration_ms: performance.now() - started,
        ...(cached ? { cached } : {}),
      });
      this.#record(toolName, started, false, cached);
      return result;
    } catch (thrown) {
      const error = this.#classify(thrown, toolName);
      this.#record(toolName, started, true, false);
      await emitter.emit(EventType.TOOL_COMPLETED, {
        agent_name: agentName,
        tool_name: toolName,
        tool_call_id: toolCallId,
        ok: false,
        error: error.toWire(),
        duration_ms: performance.now() - started,
      });
      throw error;
    } finally {
      deadline.dispose();
    }
  }

  async #execute(
    tool: AnyTool<S> | undefined,
    agentName: string,
    toolName: string,
    toolCallId: string,
    parameters: Record<string, JsonValue>,
    signal: AbortSignal,
  ): Promise<JsonValue> {
    const { tools, context, services } = this.#options;
    if (tool === undefined) {
      throw new ApexError(ErrorCode.TOOL_NOT_FOUND, `There is no tool named "${toolName}"; available tools: ${tools.keys().join(", ") || "none"}.`);
    }
    if (tool.roles !== undefined && !tool.roles.includes(context.role)) {
      await this.#options.onToolDenied?.({ toolName, context, parameters, allowedRoles: tool.roles });
      throw new ApexError(ErrorCode.FORBIDDEN, `Tool "${toolName}" needs the ${tool.roles.join(" or ")} role; ask an administrator.`);
    }
    const parsed = tool.parameters.safeParse(parameters);
    if (!parsed.success) {
      throw new ApexError(ErrorCode.INVALID_PARAMETERS, `Tool "${toolName}" got invalid parameters: ${summarizeZodIssues(parsed.error)}.`, {
        cause: parsed.error,
      });
    }
    const result = await tool.execute(parsed.data, {
      context: context.child(`tool:${toolName}`, signal),
      signal,
      services,
      agentName,
      toolCallId,
    });
    return frozenJson(result ?? null, `result of tool "${toolName}"`);
  }

  #classify(thrown: unknown, toolName: string): ApexError {
    if (this.#options.context.signal.aborted) {
      return new ApexError(ErrorCode.CANCELLED, `The run was cancelled while "${toolName}" was running.`, { cause: thrown });
    }
    return toApexError(thrown, ErrorCode.TOOL_FAILED);
  }

  #record(toolName: string, started: number, failed: boolean, cached: boolean): void {
    const stats = this.#stats.get(toolName) ?? { calls: 0, failures: 0, cached: 0, totalMs: 0 };
    stats.calls += 1;
    stats.failures += failed ? 1 : 0;
    stats.cached += cached ? 1 : 0;
    stats.totalMs += performance.now() - started;
    this.#stats.set(toolName, stats);
  }
}
