import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import type { HttpProviderOptions } from "./http-provider.ts";
import { OpenAiProvider } from "./openai.ts";
import type { LlmUsage } from "./provider.ts";
import { COST_BY_MODEL_JSON_SCHEMA, CostByModel, SPEND_QUESTION, SpendSummary } from "./fixtures/requests.ts";
import { rejection } from "./fixtures/rejection.ts";
import { closedPort, fixture, HANG_UP, ROUTES, startRecordedServer } from "./recorded-server.ts";

const KEY = "sk-proj-apexTest0123456789abcdef";
const CHAT = ROUTES.openaiChat;

/** gpt-4o-mini's list price per million tokens: input 0.15, cached input 0.075, output 0.60 USD. */
function price(model: string, usage: LlmUsage): number | null {
  if (model !== "gpt-4o-mini-2024-07-18") return null;
  const cached = usage.cache_read_tokens ?? 0;
  return ((usage.input_tokens - cached) * 0.15 + cached * 0.075 + usage.output_tokens * 0.6) / 1e6;
}

const recorded = await startRecordedServer({ apiKey: KEY, models: ["gpt-4o-mini", "gpt-4o"] });
beforeEach(() => recorded.reset());
afterAll(() => recorded.close());

function openai(options: Partial<HttpProviderOptions> = {}): OpenAiProvider {
  return new OpenAiProvider({
    model: "gpt-4o-mini",
    baseURL: `${recorded.url}/v1`,
    apiKey: KEY,
    price,
    ...options,
    policy: { retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...options.policy },
  });
}

const ask = { messages: SPEND_QUESTION };

describe("OpenAiProvider.chat", () => {
  it("returns the text with usage (cached tokens included), cost, model and latency", async () => {
    recorded.reply(CHAT, fixture("openai-chat-text"));
    const result = await openai().chat({ ...ask, temperature: 0.2, maxTokens: 300 });
    expect(result.text).toContain("61% of $4,210");
    expect(result.toolCalls).toEqual([]);
    expect(result.structured).toBeUndefined();
    expect(result.usage).toEqual({ input_tokens: 1860, output_tokens: 24, cache_read_tokens: 1536, reasoning_tokens: 0 });
    expect(result.cost_usd).toBeCloseTo((324 * 0.15 + 1536 * 0.075 + 24 * 0.6) / 1e6, 12);
    expect(result).toMatchObject({ model: "gpt-4o-mini-2024-07-18", provider: "openai", attempts: 1, finish_reason: "stop" });
    expect(result.latency_ms).toBeGreaterThanOrEqual(0);

    const [sent] = recorded.requests;
    expect(sent?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent?.body).toMatchObject({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "You analyse LLM spend." },
        { role: "user", content: "Where does the money go?" },
      ],
      temperature: 0.2,
      // A compatible server (not api.openai.com) gets the widely supported max_tokens.
      max_tokens: 300,
    });
  });

  it("reports a null cost, never zero, when the model has no price or no price function was given", async () => {
    recorded.reply(CHAT, fixture("openai-chat-text"), fixture("openai-chat-text"));
    expect((await openai({ price: () => null }).chat(ask)).cost_usd).toBeNull();
    expect((await openai({ price: undefined }).chat(ask)).cost_usd).toBeNull();
  });

  it("sends zod tool schemas as JSON Schema and parses tool calls into {id, name, arguments}", async () => {
    recorded.reply(CHAT, fixture("openai-chat-tool-call"));
    const result = await openai().chat({
      ...ask,
      tools: [
        { name: "cost_by_model", description: "Spend per model", parameters: CostByModel },
        { name: "cache_hit_rate", description: "Cache hits", parameters: z.object({ model: z.string(), day: z.string().optional() }) },
      ],
    });
    expect(result.toolCalls).toEqual([
      { id: "call_Qm3x8kPz", name: "cost_by_model", arguments: { days: 30, group_by: "model" } },
      { id: "call_Rt5w1nBv", name: "cache_hit_rate", arguments: { model: "gpt-4o" } },
    ]);
    expect(result.finish_reason).toBe("tool_calls");
    const tools = (recorded.requests[0]?.body as { tools: { type: string; function: Record<string, unknown> }[] }).tools;
    expect(tools[0]).toEqual({
      type: "function",
      function: {
        name: "cost_by_model",
        description: "Spend per model",
        strict: true,
        parameters: COST_BY_MODEL_JSON_SCHEMA,
      },
    });
    // An optional property breaks OpenAI's strict mode, so that tool is sent non-strict rather than rejected.
    expect(tools[1]?.function.strict).toBe(false);
  });

  it("sends a conversation with earlier tool calls and results in the wire shape", async () => {
    recorded.reply(CHAT, fixture("openai-chat-text"));
    await openai().chat({
      messages: [
        { role: "user", content: "Spend by model?" },
        { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "cost_by_model", arguments: { days: 7, group_by: "model" } }] },
        { role: "tool", toolCallId: "call_1", content: '{"gpt-4o": 812.4}' },
      ],
    });
    expect((recorded.requests[0]?.body as { messages: unknown[] }).messages).toEqual([
      { role: "user", content: "Spend by model?" },
      {
        role: "assistant",
        content: "",
        tool_calls: [{ id: "call_1", type: "function", function: { name: "cost_by_model", arguments: '{"days":7,"group_by":"model"}' } }],
      },
      { role: "tool", tool_call_id: "call_1", content: '{"gpt-4o": 812.4}' },
    ]);
  });

  it("asks for json_schema output and returns the reply parsed and validated", async () => {
    recorded.reply(CHAT, fixture("openai-chat-structured"));
    const result = await openai().chat({ ...ask, output: { name: "spend_summary", description: "The answer", schema: SpendSummary } });
    expect(result.structured).toEqual({
      summary: "Prompt caching on the support bot would save the most.",
      savings_usd: 412.5,
      kinds: ["prompt_caching", "model_rightsizing"],
    });
    const format = (recorded.requests[0]?.body as { response_format: { type: string; json_schema: Record<string, unknown> } }).response_format;
    expect(format.type).toBe("json_schema");
    expect(format.json_schema).toMatchObject({ name: "spend_summary", description: "The answer", strict: true });
    expect(format.json_schema.schema).toMatchObject({ type: "object", required: ["summary", "savings_usd", "kinds"] });
  });

  it("a reply that breaks the schema is a clear llm_invalid_reply error naming the field", async () => {
    recorded.reply(CHAT, fixture("openai-chat-structured-broken"));
    const error = await rejection(openai().chat({ ...ask, output: { name: "spend_summary", schema: SpendSummary } }));
    expect(error.code).toBe(ErrorCode.LLM_INVALID_REPLY);
    expect(error.message).toContain('"spend_summary"');
    expect(error.message).toContain("savings_usd");
    expect(error.message).toContain("kinds");
  });

  it("refuses a non-object output schema before calling", async () => {
    const error = await rejection(openai().chat({ ...ask, output: { name: "list", schema: z.array(z.string()) } }));
    expect(error.code).toBe(ErrorCode.INVALID_REQUEST);
    expect(recorded.requests).toHaveLength(0);
  });
});

describe("OpenAiProvider retries", () => {
  it("retries a 429 after the server's retry-after-ms, then succeeds", async () => {
    recorded.reply(CHAT, fixture("openai-error-429"), fixture("openai-chat-text"));
    const started = performance.now();
    const result = await openai().chat(ask);
    expect(result.attempts).toBe(2);
    expect(result.text).toContain("support-bot");
    expect(recorded.requests).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("retries 500s with back-off, then succeeds", async () => {
    recorded.reply(CHAT, fixture("openai-error-500"), fixture("openai-error-500"), fixture("openai-chat-text"));
    const result = await openai().chat(ask);
    expect(result.attempts).toBe(3);
    expect(recorded.requests).toHaveLength(3);
  });

  it("retries a dropped connection (a network error), then succeeds", async () => {
    recorded.reply(CHAT, HANG_UP, fixture("openai-chat-text"));
    const result = await openai().chat(ask);
    expect(result.attempts).toBe(2);
    expect(recorded.requests).toHaveLength(2);
  });

  it("gives up after maxAttempts with the last failure", async () => {
    recorded.reply(CHAT, fixture("openai-error-500"), fixture("openai-error-500"));
    const error = await rejection(openai({ policy: { retry: { maxAttempts: 2, baseDelayMs: 1 } } }).chat(ask));
    expect(error.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(error.message).toContain("answered 500");
    expect(error.message).toContain("gave up after 2 attempts");
    expect(error.details?.attempts).toBe(2);
    expect(recorded.requests).toHaveLength(2);
  });

  it("does not retry a 401, and the message names the env var but never the key", async () => {
    const error = await rejection(openai({ apiKey: "sk-proj-wrongKey99887766" }).chat(ask));
    expect(error.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(error.message).toContain("401");
    expect(error.message).toContain(EnvVar.LLM_API_KEY);
    expect(error.message).not.toContain("wrongKey99887766");
    // The upstream message echoes part of the key; that is scrubbed too.
    expect(error.message).not.toContain("sk-proj-wr*");
    expect(recorded.requests).toHaveLength(1);
  });

  it("does not retry a 404 for an unknown model and says which setting to fix", async () => {
    const error = await rejection(openai({ model: "gpt-9-imaginary" }).chat(ask));
    expect(error.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(error.message).toContain('"gpt-9-imaginary"');
    expect(error.message).toContain(EnvVar.LLM_MODEL);
    expect(recorded.requests).toHaveLength(1);
  });
});

describe("OpenAiProvider deadlines and cancellation", () => {
  it("times out a slow reply with llm_timeout and hangs up on the server", async () => {
    recorded.reply(CHAT, fixture("openai-chat-slow"));
    const started = performance.now();
    const error = await rejection(openai().chat(ask, { timeoutMs: 200 }));
    expect(error.code).toBe(ErrorCode.LLM_TIMEOUT);
    expect(error.message).toContain("200 ms");
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect.poll(() => recorded.requests[0]?.abandoned).toBe(true);
  });

  it("the deadline covers retries, and its error names the last failure", async () => {
    recorded.reply(CHAT, fixture("openai-error-500"), fixture("openai-chat-slow"));
    const error = await rejection(openai().chat(ask, { timeoutMs: 250 }));
    expect(error.code).toBe(ErrorCode.LLM_TIMEOUT);
    expect(error.message.match(/within 250 ms/g)).toHaveLength(1);
    expect(error.message).toContain("last failure");
    expect(error.message).toContain("answered 500");
    expect(recorded.requests).toHaveLength(2);
  });

  it("an abort mid-call rejects at once with the signal's ApexError reason", async () => {
    recorded.reply(CHAT, fixture("openai-chat-slow"));
    const controller = new AbortController();
    const reason = new ApexError(ErrorCode.CANCELLED, "Run r1 was cancelled by the user.");
    setTimeout(() => controller.abort(reason), 50);
    const started = performance.now();
    await expect(openai().chat(ask, { signal: controller.signal })).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect.poll(() => recorded.requests[0]?.abandoned).toBe(true);
  });

  it("a plain abort becomes a cancelled ApexError, and an already-aborted signal sends nothing", async () => {
    recorded.reply(CHAT, fixture("openai-chat-slow"));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    expect((await rejection(openai().chat(ask, { signal: controller.signal }))).code).toBe(ErrorCode.CANCELLED);
    const before = recorded.requests.length;
    expect((await rejection(openai().chat(ask, { signal: AbortSignal.abort() }))).code).toBe(ErrorCode.CANCELLED);
    expect(recorded.requests).toHaveLength(before);
  });
});

describe("OpenAiProvider circuit breaker", () => {
  it("opens after consecutive failures, fails fast saying when it closes, then closes after a good trial", async () => {
    const provider = openai({ policy: { retry: { maxAttempts: 1 }, failureThreshold: 2, coolDownMs: 150 } });
    recorded.reply(CHAT, fixture("openai-error-500"), fixture("openai-error-500"));
    await rejection(provider.chat(ask));
    await rejection(provider.chat(ask));
    const open = await rejection(provider.chat(ask));
    expect(open.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(open.message).toContain("failed 2 calls in a row");
    expect(open.message).toMatch(/trial call .* at \d{4}-\d\d-\d\dT/);
    expect(recorded.requests).toHaveLength(2);

    await new Promise((resolve) => setTimeout(resolve, 170));
    recorded.reply(CHAT, fixture("openai-chat-text"), fixture("openai-chat-text"));
    expect((await provider.chat(ask)).text).toContain("support-bot");
    expect((await provider.chat(ask)).text).toContain("support-bot");
    expect(recorded.requests).toHaveLength(4);
  });

  it("a failed trial opens it again", async () => {
    const provider = openai({ policy: { retry: { maxAttempts: 1 }, failureThreshold: 1, coolDownMs: 100 } });
    recorded.reply(CHAT, fixture("openai-error-500"), fixture("openai-error-500"));
    await rejection(provider.chat(ask));
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect((await rejection(provider.chat(ask))).message).toContain("answered 500");
    expect((await rejection(provider.chat(ask))).message).toContain("fail fast");
    expect(recorded.requests).toHaveLength(2);
  });

  it("the caller's own errors (cancelled calls) do not open it", async () => {
    const provider = openai({ policy: { failureThreshold: 1 } });
    await rejection(provider.chat(ask, { signal: AbortSignal.abort() }));
    recorded.reply(CHAT, fixture("openai-chat-text"));
    expect((await provider.chat(ask)).attempts).toBe(1);
  });
});

describe("OpenAiProvider.check", () => {
  it("passes when /models lists the configured model", async () => {
    recorded.reply(ROUTES.openaiModels, fixture("openai-models"));
    await expect(openai().check()).resolves.toMatchObject({ provider: "openai", model: "gpt-4o-mini" });
  });

  it("an unknown model is a clear error listing what the endpoint serves", async () => {
    recorded.reply(ROUTES.openaiModels, fixture("openai-models"));
    const error = await rejection(openai({ model: "gpt-9-imaginary" }).check());
    expect(error.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(error.message).toContain(EnvVar.LLM_MODEL);
    expect(error.message).toContain("gpt-4o, gpt-4.1-nano");
  });

  it("a bad key is a clear error naming the env var", async () => {
    const error = await rejection(openai({ apiKey: "sk-bad-0000000000" }).check());
    expect(error.message).toContain("401");
    expect(error.message).toContain(EnvVar.LLM_API_KEY);
    expect(error.message).not.toContain("sk-bad-0000000000");
  });

  it("an unreachable endpoint is a clear error naming the base URL setting", async () => {
    const port = await closedPort();
    const error = await rejection(openai({ baseURL: `http://127.0.0.1:${port}/v1` }).check());
    expect(error.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).toContain(EnvVar.LLM_BASE_URL);
  });
});

describe("OpenAiProvider without a key (a local Ollama or llama.cpp server)", () => {
  it("sends no Authorization header at all", async () => {
    const keyless = await startRecordedServer({ apiKey: null, models: ["llama3.2"] });
    try {
      keyless.reply(CHAT, fixture("openai-chat-text"));
      await openai({ apiKey: undefined, model: "llama3.2", baseURL: `${keyless.url}/v1` }).chat(ask);
      expect(keyless.requests[0]?.headers.authorization).toBeUndefined();
    } finally {
      await keyless.close();
    }
  });
});
