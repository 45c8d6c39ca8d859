import type { z } from "zod";

// The one interface every LLM provider implements (offline, OpenAI-compatible, Anthropic). Agents and tools see only
// this: messages in; text, tool calls or validated structured data out; with the usage and cost of the call.

export const PROVIDER_NAMES = ["offline", "openai", "anthropic"] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** A tool call the model asked for; `arguments` is the parsed JSON object (the tool dispatcher validates it). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: readonly ToolCall[] }
  | { role: "tool"; toolCallId: string; content: string };

/** A tool the model may call; its zod schema is sent as JSON Schema (zod 4's `z.toJSONSchema`). */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: z.ZodType;
}

/** Ask for a reply shaped by `schema`: the provider parses and validates it, and a reply that breaks it is an error. */
export interface StructuredOutput<T> {
  name: string;
  description?: string;
  schema: z.ZodType<T>;
}

export interface ChatRequest<T = unknown> {
  messages: readonly ChatMessage[];
  tools?: readonly ToolDefinition[];
  output?: StructuredOutput<T>;
  /** Sent to OpenAI-compatible endpoints only: the Messages API deprecated it and SDK 1.12 no longer has the field. */
  temperature?: number;
  maxTokens?: number;
}

export interface ChatOptions {
  /** Aborting rejects the call at once, with the signal's reason when it is an ApexError, else `cancelled`. */
  signal?: AbortSignal;
  /** Deadline for the whole call, retries and back-off waits included. */
  timeoutMs?: number;
}

/** Token counts of one call, in the canonical record's convention: input includes cached, output includes reasoning. */
export interface LlmUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
  reasoning_tokens?: number;
}

export interface ChatResult<T = unknown> {
  text: string;
  toolCalls: ToolCall[];
  /** The validated structured reply; undefined when none was asked for or the model called tools instead. */
  structured: T | undefined;
  usage: LlmUsage;
  /** From the price function given to the provider; null when the model has no known price or the server reported
   *  no usage (never a silent 0). */
  cost_usd: number | null;
  /** The model that answered, as the provider reported it. */
  model: string;
  provider: ProviderName;
  latency_ms: number;
  /** HTTP attempts made, retries included. */
  attempts: number;
  finish_reason: string | null;
}

/** What a provider can do; agents branch on these instead of on the provider's name. */
export interface LlmCapabilities {
  freeText: boolean;
  structured: boolean;
  tools: boolean;
}

export interface CheckResult {
  provider: ProviderName;
  model: string;
  latency_ms: number;
}

/** Cost in USD of a call, or null when the model has no known price (llm/ cannot import pricing/, so it is injected). */
export type PriceFn = (model: string, usage: LlmUsage) => number | null;

export interface LlmProvider {
  readonly name: ProviderName;
  readonly model: string;
  readonly capabilities: LlmCapabilities;
  chat<T = unknown>(request: ChatRequest<T>, options?: ChatOptions): Promise<ChatResult<T>>;
  /** A cheap real call for start-up: resolves, or throws an ApexError saying what is wrong and what to set. */
  check(signal?: AbortSignal): Promise<CheckResult>;
}
