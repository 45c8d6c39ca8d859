import type { LlmProvider } from "../llm/provider.ts";
import type { ApexMetrics } from "../telemetry/metrics.ts";
import type { ApexTracing } from "../telemetry/tracing.ts";

// The configured LLM as the server's agents see it: every call is a `chat {model}` span under the agent that made it,
// and its tokens and cost count in /metrics. Thin on purpose: the span lives in telemetry/, the call in llm/.

export interface LlmTelemetry {
  tracing: Pick<ApexTracing, "chat">;
  metrics: Pick<ApexMetrics, "observeLlmCall">;
}

export function tracedLlm(llm: LlmProvider, telemetry: LlmTelemetry): LlmProvider {
  return {
    name: llm.name,
    model: llm.model,
    capabilities: llm.capabilities,
    chat: async (request, options) => {
      const call = { provider: llm.name, model: llm.model, temperature: request.temperature, maxTokens: request.maxTokens };
      const result = await telemetry.tracing.chat(call, () => llm.chat(request, options));
      telemetry.metrics.observeLlmCall(result);
      return result;
    },
    check: (signal) => llm.check(signal),
  };
}
