import { type ApexError, toApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { createOfflineProvider } from "./offline.ts";
import type { ChatOptions, ChatRequest, ChatResult, LlmCapabilities, LlmProvider } from "./provider.ts";

// When the configured model fails at run time (bad key, endpoint down, open circuit, timeout, broken reply), the run goes
// on with the fallback instead of failing, and says so: `onFallback` lets the caller emit an `agent_thinking` naming it,
// and every result carries `fellBack` and the reason. Nothing here hides that a fallback happened.

export type FallbackChatResult<T> =
  | { fellBack: false; reply: ChatResult<T> }
  | {
      fellBack: true;
      /** One sentence for the run's events: who failed, why, and what answers instead. */
      reason: string;
      error: ApexError;
      /** The fallback's reply; null when it has no model for this request (offline): continue without the LLM. */
      reply: ChatResult<T> | null;
    };

export interface FallbackLlm {
  readonly primary: LlmProvider;
  readonly fallback: LlmProvider;
  /** The primary's capabilities: what a call may get when nothing fails. */
  readonly capabilities: LlmCapabilities;
  chat<T = unknown>(request: ChatRequest<T>, options?: ChatOptions): Promise<FallbackChatResult<T>>;
}

export type OnFallback = (reason: string, error: ApexError) => void;

/** Failures of the caller's own making are not the provider's: they are thrown, not papered over by a fallback. */
const NOT_A_PROVIDER_FAILURE = new Set<string>([ErrorCode.CANCELLED, ErrorCode.INVALID_REQUEST]);

export function withFallback(
  primary: LlmProvider,
  fallback: LlmProvider = createOfflineProvider(),
  onFallback: OnFallback = () => undefined,
): FallbackLlm {
  return {
    primary,
    fallback,
    capabilities: primary.capabilities,
    async chat<T>(request: ChatRequest<T>, options: ChatOptions = {}): Promise<FallbackChatResult<T>> {
      try {
        return { fellBack: false, reply: await primary.chat(request, options) };
      } catch (thrown) {
        const error = toApexError(thrown, ErrorCode.LLM_UNAVAILABLE);
        if (NOT_A_PROVIDER_FAILURE.has(error.code) || options.signal?.aborted) throw error;
        const able = canAnswer(fallback.capabilities, request);
        const instead = able
          ? `${fallback.name} (${fallback.model}) answers instead`
          : `continuing with ${fallback.name}, which has no model for this request: the work goes on without the LLM`;
        const reason = `The LLM ${primary.name} (${primary.model}) failed, ${instead}. Cause: ${error.message}`;
        onFallback(reason, error);
        return { fellBack: true, reason, error, reply: able ? await fallback.chat(request, options) : null };
      }
    },
  };
}

function canAnswer(capabilities: LlmCapabilities, request: ChatRequest<unknown>): boolean {
  if (request.output && !capabilities.structured) return false;
  if (request.tools && request.tools.length > 0 && !capabilities.tools) return false;
  return capabilities.freeText || request.output !== undefined;
}
