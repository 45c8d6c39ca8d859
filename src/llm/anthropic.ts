import Anthropic from "@anthropic-ai/sdk";
import type {
  ContentBlockParam,
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
  Tool,
  ToolResultBlockParam,
  Usage,
} from "@anthropic-ai/sdk/resources/messages";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { CallPolicy } from "./call-policy.ts";
import { endpointOf, HTTP_CAPABILITIES, type HttpProviderOptions, SDK_CLIENT_DEFAULTS } from "./http-provider.ts";
import type {
  ChatMessage,
  ChatOptions,
  ChatRequest,
  ChatResult,
  CheckResult,
  LlmProvider,
  LlmUsage,
  ToolCall,
} from "./provider.ts";
import { objectJsonSchema, parseStructured, toolCall } from "./structured-output.ts";

// The Anthropic Messages API through the official SDK, its own retries off (call-policy.ts owns them). Structured
// output is a forced call of a tool whose input schema is the requested schema, which every Messages endpoint supports.

export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";

/** The Messages API requires max_tokens; this is used when the caller gives none. */
const DEFAULT_MAX_TOKENS = 4096;

export class AnthropicProvider implements LlmProvider {
  readonly name = "anthropic" as const;
  readonly model: string;
  readonly capabilities = HTTP_CAPABILITIES;
  private readonly client: Anthropic;
  private readonly policy: CallPolicy;

  constructor(private readonly options: HttpProviderOptions) {
    if (!options.apiKey) {
      throw new ApexError(ErrorCode.INVALID_CONFIG, "The anthropic provider needs an API key.");
    }
    this.model = options.model;
    this.policy = new CallPolicy(endpointOf(this.name, options), options.policy);
    this.client = new Anthropic({
      baseURL: options.baseURL,
      apiKey: options.apiKey,
      // The documented header of the Messages API, which Anthropic-compatible proxies also expect (the SDK would
      // otherwise send the key as a bearer token).
      defaultHeaders: { "x-api-key": options.apiKey, Authorization: null },
      ...SDK_CLIENT_DEFAULTS,
    });
  }

  /** A one-token message: the only call that proves key, model and endpoint together. */
  async check(signal?: AbortSignal): Promise<CheckResult> {
    const { latency_ms } = await this.policy.once(
      (inner) =>
        this.client.messages.create(
          { model: this.model, max_tokens: 1, messages: [{ role: "user", content: "ping" }] },
          { signal: inner },
        ),
      signal,
      this.options.checkTimeoutMs,
    );
    return { provider: this.name, model: this.model, latency_ms };
  }

  async chat<T = unknown>(request: ChatRequest<T>, options: ChatOptions = {}): Promise<ChatResult<T>> {
    const body = this.requestBody(request);
    const { value: reply, attempts, latency_ms } = await this.policy.run(
      (signal) => this.client.messages.create(body, { signal }),
      options,
    );
    const { text, toolCalls, structured } = this.readContent(request, reply);
    const usage = usageOf(reply.usage);
    return {
      text,
      toolCalls,
      structured,
      usage,
      cost_usd: this.options.price?.(reply.model, usage) ?? null,
      model: reply.model,
      provider: this.name,
      latency_ms,
      attempts,
      finish_reason: reply.stop_reason ?? null,
    };
  }

  private requestBody<T>(request: ChatRequest<T>): MessageCreateParamsNonStreaming {
    const system = request.messages.flatMap((m) => (m.role === "system" ? [m.content] : [])).join("\n\n");
    const body: MessageCreateParamsNonStreaming = {
      model: this.model,
      max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
      messages: wireMessages(request.messages),
    };
    if (system !== "") body.system = system;
    const tools: Tool[] = (request.tools ?? []).map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: objectJsonSchema(tool.parameters, `The parameters of tool "${tool.name}"`) as Tool.InputSchema,
    }));
    const output = request.output;
    if (output) {
      if (tools.some((tool) => tool.name === output.name)) {
        throw new ApexError(ErrorCode.INVALID_REQUEST, `The structured output "${output.name}" has the name of a tool: rename one of them.`);
      }
      tools.push({
        name: output.name,
        description: output.description ?? `Give the answer as "${output.name}".`,
        input_schema: objectJsonSchema(output.schema, `The structured output "${output.name}"`) as Tool.InputSchema,
      });
      // Alone, the output tool is forced; next to real tools, the model must call one of them (the output included).
      body.tool_choice = tools.length === 1 ? { type: "tool", name: output.name } : { type: "any" };
    }
    if (tools.length > 0) body.tools = tools;
    return body;
  }

  private readContent<T>(request: ChatRequest<T>, reply: Message): { text: string; toolCalls: ToolCall[]; structured: T | undefined } {
    const texts: string[] = [];
    const toolCalls: ToolCall[] = [];
    let structured: T | undefined;
    let answered = false;
    for (const block of reply.content) {
      if (block.type === "text") texts.push(block.text);
      else if (block.type === "tool_use" && request.output && block.name === request.output.name) {
        structured = parseStructured(request.output, block.input, this.policy.endpoint.label);
        answered = true;
      } else if (block.type === "tool_use") toolCalls.push(toolCall(block.id, block.name, block.input, this.policy.endpoint.label));
    }
    if (request.output && !answered && toolCalls.length === 0) {
      throw new ApexError(
        ErrorCode.LLM_INVALID_REPLY,
        `${this.policy.endpoint.label} did not answer "${request.output.name}" (stop reason: ${reply.stop_reason ?? "none"}).`,
        { retryable: true },
      );
    }
    return { text: texts.join(""), toolCalls, structured };
  }
}

/** Anthropic keeps the system prompt apart and wants tool results as user turns; consecutive results share one turn. */
function wireMessages(messages: readonly ChatMessage[]): MessageParam[] {
  const wire: MessageParam[] = [];
  for (const message of messages) {
    if (message.role === "system") continue;
    if (message.role === "tool") {
      const result: ToolResultBlockParam = { type: "tool_result", tool_use_id: message.toolCallId, content: message.content };
      const previous = wire.at(-1);
      if (previous?.role === "user" && Array.isArray(previous.content) && previous.content.every((b) => b.type === "tool_result")) {
        previous.content.push(result);
      } else wire.push({ role: "user", content: [result] });
      continue;
    }
    if (message.role === "user") {
      wire.push({ role: "user", content: message.content });
      continue;
    }
    const blocks: ContentBlockParam[] = message.content === "" ? [] : [{ type: "text", text: message.content }];
    for (const call of message.toolCalls ?? []) {
      blocks.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments });
    }
    wire.push({ role: "assistant", content: blocks });
  }
  return wire;
}

/** Anthropic's input_tokens exclude cache reads and writes; the canonical convention counts them in. */
function usageOf(usage: Usage): LlmUsage {
  const read = usage.cache_read_input_tokens ?? 0;
  const write = usage.cache_creation_input_tokens ?? 0;
  const result: LlmUsage = { input_tokens: usage.input_tokens + read + write, output_tokens: usage.output_tokens };
  if (usage.cache_read_input_tokens != null) result.cache_read_tokens = read;
  if (usage.cache_creation_input_tokens != null) result.cache_write_tokens = write;
  const thinking = usage.output_tokens_details?.thinking_tokens;
  if (thinking !== undefined) result.reasoning_tokens = thinking;
  return result;
}
