// How a run is observed from outside without the runtime knowing any telemetry library: the factory, the engine and
// the tool dispatcher run each run, agent attempt sequence and tool call inside one of these wrappers, so whatever
// runs inside (an LLM call) sees the enclosing span as its parent through the implementation's async context.

export interface RunSpanInfo {
  runId: string;
  threadId: string;
}

export interface ToolSpanInfo {
  toolName: string;
  toolCallId: string;
  agentName: string;
}

/** How a run or an agent ended, as the wrappers report it on their span. */
export interface SpanOutcome {
  status: string;
  error?: { code: string; message: string };
}

export interface RunInstrumentation {
  /** Runs the whole run; `fn` gets the run's trace id (32 hex), which every event of the run carries. */
  run<T extends SpanOutcome>(run: RunSpanInfo, fn: (traceId: string | undefined) => Promise<T>): Promise<T>;
  /** Runs one agent (every attempt); a call made inside is the agent's child. */
  agent<T extends SpanOutcome>(agentName: string, fn: () => Promise<T>): Promise<T>;
  /** Runs one tool call; a rejection marks the span as failed. */
  tool<T>(tool: ToolSpanInfo, fn: () => Promise<T>): Promise<T>;
}

/** Observes nothing: runs without telemetry (the CLI's, the tests') carry no trace id. */
export const NO_INSTRUMENTATION: RunInstrumentation = Object.freeze({
  run: <T>(_run: RunSpanInfo, fn: (traceId: string | undefined) => Promise<T>) => fn(undefined),
  agent: <T>(_agent: string, fn: () => Promise<T>) => fn(),
  tool: <T>(_tool: ToolSpanInfo, fn: () => Promise<T>) => fn(),
});
