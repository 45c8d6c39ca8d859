import type { CallPolicyOptions } from "./call-policy.ts";
import type { Endpoint } from "./provider-error.ts";
import type { LlmCapabilities, PriceFn, ProviderName } from "./provider.ts";

// What the HTTP providers (openai.ts, anthropic.ts) are built from, and how they name themselves in every message:
// provider, model and base URL, so an operator reading an error knows which setting to fix.

export interface HttpProviderOptions {
  model: string;
  baseURL: string;
  /** Optional for local servers that need none (Ollama, llama.cpp); never logged nor put in messages. */
  apiKey?: string | undefined;
  price?: PriceFn | undefined;
  policy?: CallPolicyOptions | undefined;
  /** Deadline of the start-up check (default 10 s). */
  checkTimeoutMs?: number | undefined;
}

/** Both HTTP providers can write text, produce structured data and call tools. */
export const HTTP_CAPABILITIES: LlmCapabilities = Object.freeze({ freeText: true, structured: true, tools: true });

/** Options both SDK clients get: no retries of their own (call-policy.ts owns them) and no logging to the console. */
export const SDK_CLIENT_DEFAULTS = { maxRetries: 0, logLevel: "off" } as const;

export function endpointOf(provider: ProviderName, options: HttpProviderOptions): Endpoint {
  return {
    label: `${provider} (${options.model} at ${options.baseURL})`,
    baseURL: options.baseURL,
    model: options.model,
    apiKey: options.apiKey,
  };
}
