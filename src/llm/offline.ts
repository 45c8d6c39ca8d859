import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import type { ChatResult, CheckResult, LlmCapabilities, LlmProvider } from "./provider.ts";

/**
 * The default provider: no model at all, and it says so.
 *
 * - `capabilities` are all false: it writes no free text, produces no structured data and calls no tools. Agents read
 *   the capabilities and do their work by rules instead (that logic lives with the agents, not here).
 * - `chat` always throws `llm_unavailable` ("offline provider has no model"); it never invents a reply. So it never
 *   spends anything either: there is no offline usage or cost to report.
 * - `check` always succeeds at once: running offline is a valid configuration, not a failure.
 */

const OFFLINE_CAPABILITIES: LlmCapabilities = Object.freeze({ freeText: false, structured: false, tools: false });

export function createOfflineProvider(): LlmProvider {
  return {
    name: "offline",
    model: "none",
    capabilities: OFFLINE_CAPABILITIES,
    chat<T>(): Promise<ChatResult<T>> {
      return Promise.reject(
        new ApexError(
          ErrorCode.LLM_UNAVAILABLE,
          `The offline provider has no model, so it cannot answer a chat. Check its capabilities before calling, or set ${EnvVar.LLM_PROVIDER} to openai or anthropic.`,
        ),
      );
    },
    check(): Promise<CheckResult> {
      return Promise.resolve({ provider: "offline", model: "none", latency_ms: 0 });
    },
  };
}
