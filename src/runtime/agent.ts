import type { Report } from "../protocol/report.ts";
import type { UserExecutionContext } from "./context.ts";
import type { Answer, Question } from "./interrupts.ts";
import type { MetadataStore } from "./metadata.ts";

// An agent: a plain object registered by name and run by the engine, which emits its lifecycle events itself.

/** The tools an agent may call during one attempt; each call emits its tool_executing/tool_completed pair. */
export interface AgentTools {
  call<R = unknown>(toolName: string, parameters: Record<string, unknown>): Promise<R>;
  names(): string[];
}

/** What an agent sees when the engine decides whether it runs: read access only. */
export interface AgentView<S = unknown> {
  context: UserExecutionContext;
  request: string;
  metadata: Pick<MetadataStore, "get" | "has" | "keys">;
  services: S;
}

export interface AgentInput<S = unknown> extends AgentView<S> {
  metadata: MetadataStore;
  tools: AgentTools;
  /** Aborts when the run is cancelled or the agent times out. */
  signal: AbortSignal;
  /** Says what the agent is doing now (`agent_thinking`). */
  think(thought: string): Promise<void>;
  /** Optional incremental text (`partial_result`). */
  partial(content: string): Promise<void>;
  /** The run's structured report (`final_report`). */
  report(report: Report): Promise<void>;
  /**
   * Asks the run's owner (`awaiting_input`) and waits for the answer; null when the question expires unanswered. The
   * agent's timeout does not run while it waits. `input_unavailable` when the run has no way to ask (no broker).
   */
  ask(question: Question): Promise<Answer | null>;
}

export interface AgentResult {
  /** One sentence on what the agent found or did, carried by `agent_completed`. */
  summary: string;
}

export interface Agent<S = unknown> {
  name: string;
  /** What the agent does, in a sentence: the engine emits it as the agent's first `agent_thinking`. */
  description: string;
  /** A failing required agent fails the run (default); a failing optional one is reported and the pipeline goes on. */
  required?: boolean;
  /** A reason to skip this agent for this run, decided before it starts; null or undefined to run it. */
  skip?(view: AgentView<S>): string | null | undefined;
  run(input: AgentInput<S>): Promise<AgentResult>;
}
