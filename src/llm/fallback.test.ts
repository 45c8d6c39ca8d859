import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { AnthropicProvider } from "./anthropic.ts";
import { withFallback } from "./fallback.ts";
import { createOfflineProvider } from "./offline.ts";
import { OpenAiProvider } from "./openai.ts";
import { fixture, ROUTES, startRecordedServer } from "./recorded-server.ts";

const KEY = "sk-apex-fallback-0123456789";
const ask = { messages: [{ role: "user" as const, content: "Where does the money go?" }] };

const recorded = await startRecordedServer({ apiKey: KEY, models: ["gpt-4o-mini", "claude-sonnet-5-5"] });
beforeEach(() => recorded.reset());
afterAll(() => recorded.close());

function openai(apiKey = KEY, baseURL = `${recorded.url}/v1`): OpenAiProvider {
  return new OpenAiProvider({ model: "gpt-4o-mini", baseURL, apiKey, policy: { retry: { maxAttempts: 2, baseDelayMs: 1 }, failureThreshold: 2, coolDownMs: 60_000 } });
}

function recorder(): { reasons: string[]; codes: string[]; onFallback: (reason: string, error: ApexError) => void } {
  const reasons: string[] = [];
  const codes: string[] = [];
  return { reasons, codes, onFallback: (reason, error) => (reasons.push(reason), codes.push(error.code)) };
}

describe("withFallback", () => {
  it("passes a good reply through and says it did not fall back", async () => {
    recorded.reply(ROUTES.openaiChat, fixture("openai-chat-text"));
    const seen = recorder();
    const result = await withFallback(openai(), createOfflineProvider(), seen.onFallback).chat(ask);
    expect(result.fellBack).toBe(false);
    expect(result.reply?.text).toContain("support-bot");
    expect(seen.reasons).toEqual([]);
  });

  it("a bad key at run time falls back to offline, out loud: callback and result both name it", async () => {
    const seen = recorder();
    const llm = withFallback(openai("sk-apex-wrong-000000"), undefined, seen.onFallback);
    const result = await llm.chat(ask);
    expect(result.fellBack).toBe(true);
    if (!result.fellBack) throw new Error("unreachable");
    expect(result.reply).toBeNull();
    expect(result.reason).toContain("openai (gpt-4o-mini) failed");
    expect(result.reason).toContain("offline");
    expect(result.reason).toContain("401");
    expect(result.reason).not.toContain("wrong-000000");
    expect(result.error.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(seen.reasons).toEqual([result.reason]);
    expect(llm.capabilities.freeText).toBe(true);
  });

  it("an unreachable endpoint falls back to another provider that answers", async () => {
    recorded.reply(ROUTES.anthropicMessages, fixture("anthropic-message-text"));
    const seen = recorder();
    const claude = new AnthropicProvider({ model: "claude-sonnet-5-5", baseURL: recorded.url, apiKey: KEY });
    const result = await withFallback(openai(KEY, "http://127.0.0.1:9/v1"), claude, seen.onFallback).chat(ask);
    expect(result.fellBack).toBe(true);
    expect(result.reply?.provider).toBe("anthropic");
    expect(result.reply?.text).toContain("claude-opus");
    expect(seen.reasons[0]).toContain("anthropic (claude-sonnet-5-5) answers instead");
    expect(seen.codes).toEqual([ErrorCode.LLM_UNAVAILABLE]);
  });

  it("falls back on every failed call, including while the circuit is open", async () => {
    recorded.reply(ROUTES.openaiChat, ...Array.from({ length: 4 }, () => fixture("openai-error-500")));
    const seen = recorder();
    const llm = withFallback(openai(), undefined, seen.onFallback);
    for (let i = 0; i < 3; i++) expect((await llm.chat(ask)).fellBack).toBe(true);
    expect(seen.reasons).toHaveLength(3);
    expect(seen.reasons[2]).toContain("fail fast");
    expect(recorded.requests).toHaveLength(4);
  });

  it("a reply that breaks the schema falls back too", async () => {
    recorded.reply(ROUTES.openaiChat, fixture("openai-chat-structured-broken"));
    const seen = recorder();
    const output = { name: "spend_summary", schema: z.object({ summary: z.string(), savings_usd: z.number() }) };
    const result = await withFallback(openai(), undefined, seen.onFallback).chat({ ...ask, output });
    expect(result.fellBack).toBe(true);
    expect(seen.codes).toEqual([ErrorCode.LLM_INVALID_REPLY]);
  });

  it("does not hide the caller's own mistakes or a cancellation behind a fallback", async () => {
    const seen = recorder();
    const llm = withFallback(openai(), undefined, seen.onFallback);
    const invalid = await llm.chat({ ...ask, output: { name: "x", schema: z.string() } }).catch((e: unknown) => e);
    expect((invalid as ApexError).code).toBe(ErrorCode.INVALID_REQUEST);
    const cancelled = await llm.chat(ask, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect((cancelled as ApexError).code).toBe(ErrorCode.CANCELLED);
    expect(seen.reasons).toEqual([]);
  });

  it("with offline as the primary (the default configuration) the result says there is no model", async () => {
    const seen = recorder();
    const result = await withFallback(createOfflineProvider(), undefined, seen.onFallback).chat(ask);
    expect(result).toMatchObject({ fellBack: true, reply: null });
    expect(seen.reasons[0]).toContain("offline provider has no model");
  });
});
