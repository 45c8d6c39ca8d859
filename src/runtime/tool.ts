import type { z } from "zod";
import type { RoleName } from "../protocol/names.ts";
import type { UserExecutionContext } from "./context.ts";

// A tool: a named operation with a zod parameter schema, run only through the ToolDispatcher.

/** What a tool receives besides its parameters. */
export interface ToolCall<S = unknown> {
  /** A child of the run's context for this one call. */
  context: UserExecutionContext;
  /** Aborts when the run is cancelled, the call times out, or the calling agent ends. */
  signal: AbortSignal;
  /** The request-scoped services the factory was given (stores, LLM, prices). */
  services: S;
  agentName: string;
  toolCallId: string;
}

export interface Tool<P extends z.ZodType = z.ZodType, R = unknown, S = unknown> {
  name: string;
  description: string;
  parameters: P;
  /** Roles allowed to call it; every role when absent. */
  roles?: readonly RoleName[];
  /** Overrides the dispatcher's default timeout. */
  timeoutMs?: number;
  execute(params: z.output<P>, call: ToolCall<S>): Promise<R> | R;
}

/** A tool as the registry holds it, its parameter and result types erased. */
export type AnyTool<S = unknown> = Tool<z.ZodType, unknown, S>;

/** Declares a tool with its parameter types inferred from its schema. */
export function defineTool<P extends z.ZodType, R, S = unknown>(tool: Tool<P, R, S>): Tool<P, R, S> {
  return tool;
}
