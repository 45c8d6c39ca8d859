import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import { AnthropicProvider } from "./anthropic.ts";
import type { HttpProviderOptions } from "./http-provider.ts";
import type { LlmUsage } from "./provider.ts";
import { COST_BY_MODEL_JSON_SCHEMA, CostByModel, SPEND_QUESTION, SpendSummary } from "./fixtures/requests.ts";
import { rejection } from "./fixtures/rejection.ts";
import { closedPort, fixture, ROUTES, startRecordedServer } from "./recorded-server.ts";

const KEY = "sk-ant-api03-apexTest0123456789";
const MESSAGES = ROUTES.anthropicMessages;

/** Illustrative Sonnet-class prices per million tokens: input 3, cache write 3.75, cache read 0.30, output 15 USD. */
function price(model: string, usage: LlmUsage): number | null {
  if (!model.startsWith("claude-sonnet-5-5")) return null;
  const read = usage.cache_read_tokens ?? 0;
  const write = usage.cache_write_tokens ?? 0;
  const fresh = usage.input_tokens - read - write;
  return (fresh * 3 + write * 3.75 + read * 0.3 + usage.output_tokens * 15) / 1e6;
}

const recorded = await startRecordedServer({ apiKey: KEY, models: ["claude-sonnet-5-5"] });
beforeEach(() => recorded.reset());
afterAll(() => recorded.close());

function anthropic(options: Partial<HttpProviderOptions> = {}): AnthropicProvider {
  return new AnthropicProvider({
    model: "claude-sonnet-5-5",
    baseURL: recorded.url,
    apiKey: KEY,
    price,
    ...options,
    policy: { retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...options.policy },
  });
}

const ask = { messages: SPEND_QUESTION };

describe("AnthropicProvider.chat", () => {
  it("returns the text with usage in the canonical convention (cache reads counted in input) and its cost", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-message-text"));
    const result = await anthropic().chat({ ...ask, maxTokens: 500 });
    expect(result.text).toContain("54% of $3,870");
    expect(result.usage).toEqual({ input_tokens: 312 + 2048, output_tokens: 29, cache_read_tokens: 2048, cache_write_tokens: 0 });
    expect(result.cost_usd).toBeCloseTo((312 * 3 + 2048 * 0.3 + 29 * 15) / 1e6, 12);
    expect(result).toMatchObject({ model: "claude-sonnet-5-5-20260916", provider: "anthropic", attempts: 1, finish_reason: "end_turn" });

    const [sent] = recorded.requests;
    expect(sent?.headers["x-api-key"]).toBe(KEY);
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.headers["anthropic-version"]).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(sent?.body).toEqual({
      model: "claude-sonnet-5-5",
      max_tokens: 500,
      system: "You analyse LLM spend.",
      messages: [{ role: "user", content: "Where does the money go?" }],
    });
  });

  it("defaults max_tokens, which the Messages API requires", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-message-text"));
    await anthropic().chat(ask);
    expect((recorded.requests[0]?.body as { max_tokens: number }).max_tokens).toBeGreaterThan(0);
  });

  it("sends tools with input_schema and parses tool_use blocks into tool calls", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-message-tool-use"));
    const result = await anthropic().chat({ ...ask, tools: [{ name: "cost_by_model", description: "Spend per model", parameters: CostByModel }] });
    expect(result.text).toBe("I'll break the spend down by model first.");
    expect(result.toolCalls).toEqual([{ id: "toolu_01A09q90qw90lq917835lq9", name: "cost_by_model", arguments: { days: 30, group_by: "model" } }]);
    expect(result.usage).toMatchObject({ input_tokens: 655 + 512, cache_write_tokens: 512 });
    const body = recorded.requests[0]?.body as { tools: unknown[]; tool_choice?: unknown };
    expect(body.tools).toEqual([
      {
        name: "cost_by_model",
        description: "Spend per model",
        input_schema: COST_BY_MODEL_JSON_SCHEMA,
      },
    ]);
    expect(body.tool_choice).toBeUndefined();
  });

  it("sends tool calls and their results back as tool_use and merged tool_result turns", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-message-text"));
    await anthropic().chat({
      messages: [
        { role: "user", content: "Spend by model and cache hits?" },
        {
          role: "assistant",
          content: "Looking.",
          toolCalls: [
            { id: "toolu_1", name: "cost_by_model", arguments: { days: 7, group_by: "model" } },
            { id: "toolu_2", name: "cache_hit_rate", arguments: { model: "gpt-4o" } },
          ],
        },
        { role: "tool", toolCallId: "toolu_1", content: '{"gpt-4o": 812.4}' },
        { role: "tool", toolCallId: "toolu_2", content: '{"hit_rate": 0.12}' },
      ],
    });
    expect((recorded.requests[0]?.body as { messages: unknown[] }).messages).toEqual([
      { role: "user", content: "Spend by model and cache hits?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Looking." },
          { type: "tool_use", id: "toolu_1", name: "cost_by_model", input: { days: 7, group_by: "model" } },
          { type: "tool_use", id: "toolu_2", name: "cache_hit_rate", input: { model: "gpt-4o" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: '{"gpt-4o": 812.4}' },
          { type: "tool_result", tool_use_id: "toolu_2", content: '{"hit_rate": 0.12}' },
        ],
      },
    ]);
  });

  it("gets structured output through a forced tool call, validated", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-message-structured"));
    const result = await anthropic().chat({ ...ask, output: { name: "spend_summary", schema: SpendSummary } });
    expect(result.structured).toEqual({
      summary: "Prompt caching on nightly summaries would save the most.",
      savings_usd: 388,
      kinds: ["prompt_caching"],
    });
    expect(result.toolCalls).toEqual([]);
    const body = recorded.requests[0]?.body as { tools: { name: string }[]; tool_choice: unknown };
    expect(body.tools.map((t) => t.name)).toEqual(["spend_summary"]);
    expect(body.tool_choice).toEqual({ type: "tool", name: "spend_summary" });
  });

  it("with real tools next to the output, lets the model choose among them (tool_choice any)", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-message-tool-use"));
    const result = await anthropic().chat({
      ...ask,
      tools: [{ name: "cost_by_model", description: "Spend per model", parameters: CostByModel }],
      output: { name: "spend_summary", schema: SpendSummary },
    });
    expect(result.structured).toBeUndefined();
    expect(result.toolCalls.map((c) => c.name)).toEqual(["cost_by_model"]);
    expect((recorded.requests[0]?.body as { tool_choice: unknown }).tool_choice).toEqual({ type: "any" });
  });

  it("a structured reply that breaks the schema is llm_invalid_reply naming the fields", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-message-structured-broken"));
    const error = await rejection(anthropic().chat({ ...ask, output: { name: "spend_summary", schema: SpendSummary } }));
    expect(error.code).toBe(ErrorCode.LLM_INVALID_REPLY);
    expect(error.message).toContain("savings_usd");
    expect(error.message).toContain("kinds");
  });

  it("a reply without the requested output is llm_invalid_reply", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-message-text"));
    const error = await rejection(anthropic().chat({ ...ask, output: { name: "spend_summary", schema: SpendSummary } }));
    expect(error.code).toBe(ErrorCode.LLM_INVALID_REPLY);
    expect(error.message).toContain("end_turn");
  });

  it("an output named like a tool is refused before calling", async () => {
    const error = await rejection(
      anthropic().chat({
        ...ask,
        tools: [{ name: "spend_summary", description: "x", parameters: CostByModel }],
        output: { name: "spend_summary", schema: SpendSummary },
      }),
    );
    expect(error.code).toBe(ErrorCode.INVALID_REQUEST);
    expect(recorded.requests).toHaveLength(0);
  });
});

describe("AnthropicProvider retries, deadline and breaker", () => {
  it("retries a 429 after its retry-after, then a 529 overload, then succeeds", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-error-429"), fixture("anthropic-error-529"), fixture("anthropic-message-text"));
    const started = performance.now();
    const result = await anthropic().chat(ask);
    expect(result.attempts).toBe(3);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
  });

  it("retries a 500 then succeeds", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-error-500"), fixture("anthropic-message-text"));
    expect((await anthropic().chat(ask)).attempts).toBe(2);
  });

  it("does not retry a bad key; the message names the env var, not the key", async () => {
    const error = await rejection(anthropic({ apiKey: "sk-ant-api03-wrong0000000" }).chat(ask));
    expect(error.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(error.message).toContain("401");
    expect(error.message).toContain("invalid x-api-key");
    expect(error.message).toContain(EnvVar.LLM_API_KEY);
    expect(error.message).not.toContain("wrong0000000");
    expect(recorded.requests).toHaveLength(1);
  });

  it("times out a slow reply", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-message-text", { delayMs: 5_000 }));
    const error = await rejection(anthropic().chat(ask, { timeoutMs: 150 }));
    expect(error.code).toBe(ErrorCode.LLM_TIMEOUT);
    await expect.poll(() => recorded.requests[0]?.abandoned).toBe(true);
  });

  it("an abort mid-call rejects at once", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-message-text", { delayMs: 5_000 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 40);
    const started = performance.now();
    expect((await rejection(anthropic().chat(ask, { signal: controller.signal }))).code).toBe(ErrorCode.CANCELLED);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("opens the circuit after consecutive failures and closes it after a good trial", async () => {
    const provider = anthropic({ policy: { retry: { maxAttempts: 1 }, failureThreshold: 1, coolDownMs: 100 } });
    recorded.reply(MESSAGES, fixture("anthropic-error-529"));
    await rejection(provider.chat(ask));
    const open = await rejection(provider.chat(ask));
    expect(open.message).toContain("fail fast");
    expect(open.details).toMatchObject({ circuit: "open", failures: 1 });
    await new Promise((resolve) => setTimeout(resolve, 120));
    recorded.reply(MESSAGES, fixture("anthropic-message-text"));
    expect((await provider.chat(ask)).text).toContain("claude-opus");
    expect(recorded.requests).toHaveLength(2);
  });
});

describe("AnthropicProvider.check", () => {
  it("sends a one-token message", async () => {
    recorded.reply(MESSAGES, fixture("anthropic-message-ping"));
    await expect(anthropic().check()).resolves.toMatchObject({ provider: "anthropic", model: "claude-sonnet-5-5" });
    expect(recorded.requests[0]?.body).toMatchObject({ max_tokens: 1, model: "claude-sonnet-5-5" });
  });

  it("an unknown model is a clear error naming the model setting", async () => {
    const error = await rejection(anthropic({ model: "claude-imaginary-9" }).check());
    expect(error.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(error.message).toContain("404");
    expect(error.message).toContain('"claude-imaginary-9"');
    expect(error.message).toContain(EnvVar.LLM_MODEL);
  });

  it("a bad key is a clear error, checked once without retries", async () => {
    const error = await rejection(anthropic({ apiKey: "sk-ant-bad-000000" }).check());
    expect(error.message).toContain(EnvVar.LLM_API_KEY);
    expect(recorded.requests).toHaveLength(1);
  });

  it("an unreachable endpoint is a clear error", async () => {
    const error = await rejection(anthropic({ baseURL: `http://127.0.0.1:${await closedPort()}` }).check());
    expect(error.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(error.message).toContain("could not be reached");
    expect(error.message).toContain(EnvVar.LLM_BASE_URL);
  });

  it("refuses to start without a key", () => {
    expect(() => anthropic({ apiKey: undefined })).toThrow(ApexError);
  });
});
