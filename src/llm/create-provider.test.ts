import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import { llmConfigFromEnv } from "./config.ts";
import { createLlmProvider } from "./create-provider.ts";
import { fixture, ROUTES, startRecordedServer } from "./recorded-server.ts";

const KEY = "sk-apex-factory-0123456789";

const recorded = await startRecordedServer({ apiKey: KEY, models: ["gpt-4o-mini", "claude-sonnet-5-5"] });
beforeEach(() => recorded.reset());
afterAll(() => recorded.close());

describe("createLlmProvider", () => {
  it("builds the offline provider from an empty environment", async () => {
    const provider = createLlmProvider(llmConfigFromEnv({}));
    expect(provider.name).toBe("offline");
    await expect(provider.check()).resolves.toMatchObject({ provider: "offline" });
  });

  it("builds an OpenAI-compatible provider from the environment, with the price function wired in", async () => {
    const env = {
      [EnvVar.LLM_PROVIDER]: "openai",
      [EnvVar.LLM_BASE_URL]: `${recorded.url}/v1`,
      [EnvVar.LLM_API_KEY]: KEY,
      [EnvVar.LLM_MODEL]: "gpt-4o-mini",
    };
    const provider = createLlmProvider(llmConfigFromEnv(env), { price: (_model, usage) => usage.output_tokens * 1e-6 });
    recorded.reply(ROUTES.openaiModels, fixture("openai-models"));
    await expect(provider.check()).resolves.toMatchObject({ provider: "openai", model: "gpt-4o-mini" });
    recorded.reply(ROUTES.openaiChat, fixture("openai-chat-text"));
    expect((await provider.chat({ messages: [{ role: "user", content: "hi" }] })).cost_usd).toBeCloseTo(24e-6, 12);
  });

  it("builds the anthropic provider and its start-up check reaches the endpoint", async () => {
    const provider = createLlmProvider({ provider: "anthropic", baseURL: recorded.url, apiKey: KEY, model: "claude-sonnet-5-5" });
    recorded.reply(ROUTES.anthropicMessages, fixture("anthropic-message-ping"));
    await expect(provider.check()).resolves.toMatchObject({ provider: "anthropic" });
  });

  it("validates a hand-built configuration like one from the environment", () => {
    const build = (): unknown => createLlmProvider({ provider: "openai", baseURL: `${recorded.url}/v1` });
    expect(build).toThrow(ApexError);
    expect(build).toThrow(EnvVar.LLM_MODEL);
    try {
      build();
    } catch (error) {
      expect((error as ApexError).code).toBe(ErrorCode.INVALID_CONFIG);
    }
  });
});
