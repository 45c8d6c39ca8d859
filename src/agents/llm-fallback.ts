import { withFallback, type FallbackLlm } from "../llm/fallback.ts";
import { createOfflineProvider } from "../llm/offline.ts";
import type { LlmProvider, StructuredOutput } from "../llm/provider.ts";

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

/** How long an agent waits for the model to read a request, retries included. */
const READING_TIMEOUT_MS = 20_000;

export interface StructuredReading<T> {
  /** What the model is asked to do, said to the user as a thought ("classify the request"). */
  task: string;
  /** The system instructions: the fields to fill and how. */
  system: string;
  /** The user's words. */
  text: string;
  output: StructuredOutput<T>;
}

/**
 * The configured model's structured reading of the user's words; undefined when no model that gives structured output
 * is configured, or it fell back (the reason said as a thought). Callers keep their rules' reading then.
 */
export async function readStructured<T>(
  agent: { llm: LlmProvider; think: (thought: string) => Promise<void>; signal: AbortSignal },
  reading: StructuredReading<T>,
): Promise<T | undefined> {
  const { llm, flush } = agentLlm(agent.llm, agent.think);
  if (!llm.capabilities.structured) return undefined;
  await agent.think(`Asking ${llm.primary.name} (${llm.primary.model}) to ${reading.task}.`);
  const answer = await llm.chat<T>(
    {
      messages: [
        { role: "system", content: reading.system },
        { role: "user", content: reading.text },
      ],
      output: reading.output,
      temperature: 0,
    },
    { signal: agent.signal, timeoutMs: READING_TIMEOUT_MS },
  );
  await flush();
  return answer.reply?.structured;
}
