import OpenAI from "openai";
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import type { CompletionUsage } from "openai/resources/completions";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
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
import { isStrictSchema, objectJsonSchema, parseStructured, toolCall } from "./structured-output.ts";

// Any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM, llama.cpp server, OpenRouter) through the
// official SDK with its own retries off: retries, deadline and breaker are ours (call-policy.ts).

export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

const MODELS_SHOWN = 10;

export class OpenAiProvider implements LlmProvider {
  readonly name = "openai" as const;
  readonly model: string;
  readonly capabilities = HTTP_CAPABILITIES;
  private readonly client: OpenAI;
  private readonly policy: CallPolicy;

  constructor(private readonly options: HttpProviderOptions) {
    this.model = options.model;
    this.policy = new CallPolicy(endpointOf(this.name, options), options.policy);
    this.client = new OpenAI({
      baseURL: options.baseURL,
      // The SDK refuses to start without a key; keyless local servers get a stand-in that the header override drops.
      apiKey: options.apiKey ?? "keyless",
      ...(options.apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
      organization: null,
      project: null,
      ...SDK_CLIENT_DEFAULTS,
    });
  }

  async chat<T = unknown>(request: ChatRequest<T>, options: ChatOptions = {}): Promise<ChatResult<T>> {
    const body = this.requestBody(request);
    const { value: reply, attempts, latency_ms } = await this.policy.run(
      (signal) => this.client.chat.completions.create(body, { signal }),
      options,
    );
    const choice = reply.choices[0];
    if (choice === undefined) {
      throw new ApexError(ErrorCode.LLM_INVALID_REPLY, `${this.policy.endpoint.label} answered with no choice.`, { retryable: true });
    }
    const toolCalls = (choice.message.tool_calls ?? []).flatMap((call): ToolCall[] =>
      call.type === "function" ? [toolCall(call.id, call.function.name, call.function.arguments, this.policy.endpoint.label)] : [],
    );
    const text = choice.message.content ?? "";
    const usage = usageOf(reply.usage);
    // A server that reports no usage leaves the cost unknown (null), not zero.
    const cost_usd = reply.usage ? (this.options.price?.(reply.model, usage) ?? null) : null;
    return {
      text,
      toolCalls,
      structured: this.structuredOf(request, text, toolCalls, choice.message.refusal),
      usage,
      cost_usd,
      model: reply.model,
      provider: this.name,
      latency_ms,
      attempts,
      finish_reason: choice.finish_reason ?? null,
    };
  }

  /**
   * `GET /models`, free on every compatible server, and the configured model must be listed. Limits: OpenRouter lists
   * models without a key, so a bad key there shows only at the first chat; llama.cpp lists its loaded model's alias.
   */
  async check(signal?: AbortSignal): Promise<CheckResult> {
    const { value: page, latency_ms } = await this.policy.once(
      (inner) => this.client.models.list({ signal: inner }),
      signal,
      this.options.checkTimeoutMs,
    );
    const ids = page.data.map((model) => model.id);
    if (!ids.includes(this.model)) {
      const shown = ids.slice(0, MODELS_SHOWN).join(", ") || "none";
      throw new ApexError(
        ErrorCode.LLM_UNAVAILABLE,
        `${this.policy.endpoint.label}: the endpoint does not serve model "${this.model}" (it lists ${ids.length}: ${shown}${ids.length > MODELS_SHOWN ? ", …" : ""}). Set ${EnvVar.LLM_MODEL} to one of them.`,
        { details: { available: ids.slice(0, 100) } },
      );
    }
    return { provider: this.name, model: this.model, latency_ms };
  }

  private requestBody<T>(request: ChatRequest<T>): ChatCompletionCreateParamsNonStreaming {
    const body: ChatCompletionCreateParamsNonStreaming = { model: this.model, messages: request.messages.map(wireMessage) };
    if (request.tools && request.tools.length > 0) {
      body.tools = request.tools.map((tool): ChatCompletionTool => {
        const parameters = objectJsonSchema(tool.parameters, `The parameters of tool "${tool.name}"`);
        return {
          type: "function",
          function: { name: tool.name, description: tool.description, parameters, strict: isStrictSchema(parameters) },
        };
      });
    }
    if (request.output) {
      const schema = objectJsonSchema(request.output.schema, `The structured output "${request.output.name}"`);
      body.response_format = {
        type: "json_schema",
        json_schema: {
          name: request.output.name,
          schema,
          strict: isStrictSchema(schema),
          ...(request.output.description ? { description: request.output.description } : {}),
        },
      };
    }
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.maxTokens !== undefined) {
      // OpenAI's reasoning models reject `max_tokens`; most compatible servers only know `max_tokens`.
      if (this.options.baseURL === OPENAI_DEFAULT_BASE_URL) body.max_completion_tokens = request.maxTokens;
      else body.max_tokens = request.maxTokens;
    }
    return body;
  }

  private structuredOf<T>(request: ChatRequest<T>, text: string, toolCalls: ToolCall[], refusal: string | null | undefined): T | undefined {
    if (!request.output || toolCalls.length > 0) return undefined;
    if (refusal) {
      throw new ApexError(ErrorCode.LLM_INVALID_REPLY, `${this.policy.endpoint.label} refused to answer "${request.output.name}": ${refusal}`);
    }
    return parseStructured(request.output, text, this.policy.endpoint.label);
  }
}

function wireMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case "system":
    case "user":
      return { role: message.role, content: message.content };
    case "assistant":
      return {
        role: "assistant",
        content: message.content,
        ...(message.toolCalls && message.toolCalls.length > 0
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: "function" as const,
                function: { name: call.name, arguments: JSON.stringify(call.arguments) },
              })),
            }
          : {}),
      };
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
  }
}

/** OpenAI's prompt_tokens already include cached ones and completion_tokens reasoning ones: the canonical convention. */
function usageOf(usage: CompletionUsage | undefined): LlmUsage {
  const result: LlmUsage = { input_tokens: usage?.prompt_tokens ?? 0, output_tokens: usage?.completion_tokens ?? 0 };
  const cached = usage?.prompt_tokens_details?.cached_tokens;
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens;
  if (cached !== undefined) result.cache_read_tokens = cached;
  if (reasoning !== undefined) result.reasoning_tokens = reasoning;
  return result;
}
