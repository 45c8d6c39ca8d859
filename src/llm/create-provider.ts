import { ANTHROPIC_DEFAULT_BASE_URL, AnthropicProvider } from "./anthropic.ts";
import type { CallPolicyOptions } from "./call-policy.ts";
import { type LlmConfig, parseLlmConfig } from "./config.ts";
import { createOfflineProvider } from "./offline.ts";
import { OPENAI_DEFAULT_BASE_URL, OpenAiProvider } from "./openai.ts";
import type { LlmProvider, PriceFn } from "./provider.ts";

// The one place a configuration becomes a provider; composition roots (server, cli) call it with the price function.

export interface ProviderDependencies {
  /** Cost of a call from its usage (pricing/ builds it); without it every cost is null (unknown). */
  price?: PriceFn;
  policy?: CallPolicyOptions;
  checkTimeoutMs?: number;
}

/** The provider `config` names; a hand-built config is validated like one read from the environment. */
export function createLlmProvider(input: LlmConfig, dependencies: ProviderDependencies = {}): LlmProvider {
  const config = parseLlmConfig(input);
  switch (config.provider) {
    case "offline":
      return createOfflineProvider();
    case "openai":
      return new OpenAiProvider({ ...httpOptions(config, dependencies), baseURL: config.baseURL ?? OPENAI_DEFAULT_BASE_URL });
    case "anthropic":
      return new AnthropicProvider({ ...httpOptions(config, dependencies), baseURL: config.baseURL ?? ANTHROPIC_DEFAULT_BASE_URL });
  }
}

function httpOptions(config: LlmConfig, dependencies: ProviderDependencies) {
  return {
    // parseLlmConfig requires a model for the HTTP providers.
    model: config.model ?? "",
    apiKey: config.apiKey,
    price: dependencies.price,
    policy: dependencies.policy,
    checkTimeoutMs: dependencies.checkTimeoutMs,
  };
}
