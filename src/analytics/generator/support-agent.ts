import { OpportunityKind } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { CODE_CONTEXT, CODE_GENERATED, CONV_GENERATED } from "./calibration.ts";
import { type EpisodeContext, openAiCachedTokens, tokens } from "./episode-context.ts";
import { Feature, Models } from "./saas-scenario.ts";

// Support agent: a tool loop on gpt-4.1 (look up the order, check the refund policy, answer). Each step sends the
// system prompt and tool definitions, the task and the steps so far; OpenAI caches the repeated prefix by itself.
// Planted waste (retry_waste): a step that times out after the provider billed it, re-sent 1-20 s later.

const AGENT_PREFIX_TOKENS = 3200;
const OPENAI_CACHE_TTL_MS = 5 * 60_000;
const PREFIX_HASH = "agent-tools-v2";
const STEP_TIMEOUT_MS = 30_000;

export function supportAgentTrace(ctx: EpisodeContext, startMs: number): UsageRecord[] {
  const { prng } = ctx;
  const steps = Math.min(8, 2 + prng.geometric(0.4));
  const trace = { userId: `user-${prng.int(1, 20_000)}`, traceId: `trace-${ctx.hash()}` };
  const task = tokens(prng, { median: 150, sigma: 0.6 }, 20, 1500); // the customer's request: an assumption
  const out: UsageRecord[] = [];
  let scratchpad = 0;
  let previousInput = 0;
  let at = startMs;
  for (let step = 1; step <= steps; step++) {
    const final = step === steps;
    const input = AGENT_PREFIX_TOKENS + task + scratchpad;
    const warm = step > 1 || at - ctx.agentLastCallMs <= OPENAI_CACHE_TTL_MS;
    const shared = step > 1 ? previousInput : AGENT_PREFIX_TOKENS;
    // Tool calls are short like code completions; the final answer is a chat answer.
    const output = final ? tokens(prng, CONV_GENERATED, 1, 1000) : tokens(prng, CODE_GENERATED, 5, 400);
    const base = {
      model: Models.AGENT,
      feature: Feature.SUPPORT_AGENT,
      input,
      cacheRead: warm ? openAiCachedTokens(shared) : 0,
      maxTokens: 2048,
      temperature: 0.2,
      stream: false,
      serviceTier: "standard" as const,
      ...trace,
      tags: ["agent", "tools"],
      requestHash: ctx.hash(),
      prefixHash: PREFIX_HASH,
      prefixTokens: AGENT_PREFIX_TOKENS,
    };
    if (prng.chance(ctx.rates[OpportunityKind.RETRY_WASTE])) {
      const failed = ctx.call({
        ...base,
        atMs: at,
        output: Math.max(1, Math.floor(output * prng.between(0.2, 0.9))),
        status: "error",
        errorType: "timeout",
        durationMs: STEP_TIMEOUT_MS,
      });
      ctx.plant(OpportunityKind.RETRY_WASTE, failed, null);
      out.push(failed);
      at += STEP_TIMEOUT_MS + prng.int(1_000, 20_000);
      base.cacheRead = openAiCachedTokens(input);
    }
    const record = ctx.call({ ...base, atMs: at, output, finishReason: final ? "stop" : "tool_calls" });
    out.push(record);
    ctx.agentLastCallMs = Math.max(ctx.agentLastCallMs, at);
    previousInput = input;
    scratchpad += output + (final ? 0 : tokens(prng, CODE_CONTEXT, 20, 6000));
    at += (record.duration_ms ?? 0) + Math.round(Math.min(20_000, prng.logNormal(2_000, 0.7)));
  }
  ctx.agentLastCallMs = Math.max(ctx.agentLastCallMs, ...out.map((r) => Date.parse(r.timestamp)));
  return out;
}
