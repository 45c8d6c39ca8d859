import { withFallback, type FallbackLlm } from "../llm/fallback.ts";
import { createOfflineProvider } from "../llm/offline.ts";
import type { LlmProvider } from "../llm/provider.ts";

// An agent's view of the configured LLM: the offline provider stands behind it, and every fallback is told to the
// user as a thought (the reasons are collected here, since `onFallback` cannot await the emitter).

export interface AgentLlm {
  llm: FallbackLlm;
  /** Says every fallback reason collected since the last call, then forgets them. */
  flush(): Promise<void>;
}

export function agentLlm(provider: LlmProvider, think: (thought: string) => Promise<void>): AgentLlm {
  const reasons: string[] = [];
  const llm = withFallback(provider, createOfflineProvider(), (reason) => {
    reasons.push(reason);
  });
  return {
    llm,
    async flush() {
      for (const reason of reasons.splice(0)) await think(reason);
    },
  };
}
