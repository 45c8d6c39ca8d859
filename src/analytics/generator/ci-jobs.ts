import { OpportunityKind } from "../../protocol/names.ts";
import type { UsageRecord } from "../record.ts";
import { CODE_CONTEXT } from "./calibration.ts";
import { type EpisodeContext, tokens } from "./episode-context.ts";
import { DevFeature, DevModels } from "./devtools-scenario.ts";

// CI jobs (devtools), nobody waiting on them: the nightly test generation on Claude Sonnet 4 (done right through
// Message Batches; planted batch_api: whole nights sent at standard tier) and lint autofix bursts on gpt-4.1 (done
// right at standard tier; planted priority_tier: bursts sent at priority).

export function testGenerationJob(ctx: EpisodeContext, startMs: number): UsageRecord[] {
  const { prng } = ctx;
  const files = prng.int(6, 20);
  const standard = prng.chance(ctx.rates[OpportunityKind.BATCH_API]);
  const traceId = `nightly-${ctx.hash()}`;
  const out: UsageRecord[] = [];
  let at = startMs;
  for (let i = 0; i < files; i++) {
    const record = ctx.call({
      atMs: at,
      model: DevModels.TESTS,
      feature: DevFeature.TEST_GENERATION,
      input: 800 + tokens(prng, CODE_CONTEXT, 200, 40_000),
      output: tokens(prng, { median: 900, sigma: 0.6 }, 100, 6000),
      finishReason: "end_turn",
      maxTokens: 8192,
      temperature: 0.2,
      stream: false,
      serviceTier: standard ? "standard" : "batch",
      traceId,
      tags: ["ci", "tests"],
      requestHash: ctx.hash(),
      prefixHash: "testgen-v1",
      prefixTokens: 800,
    });
    if (standard) ctx.plant(OpportunityKind.BATCH_API, record, { ...record, service_tier: "batch" });
    out.push(record);
    at += prng.int(1_000, 6_000);
  }
  return out;
}

export function lintAutofixBurst(ctx: EpisodeContext, startMs: number): UsageRecord[] {
  const { prng } = ctx;
  const calls = prng.int(3, 13);
  const priority = prng.chance(ctx.rates[OpportunityKind.PRIORITY_TIER]);
  const traceId = `lint-${ctx.hash()}`;
  const out: UsageRecord[] = [];
  let at = startMs;
  for (let i = 0; i < calls; i++) {
    const record = ctx.call({
      atMs: at,
      model: DevModels.LINT,
      feature: DevFeature.LINT_AUTOFIX,
      input: 500 + tokens(prng, CODE_CONTEXT, 50, 10_000),
      // A patch of the offending file region (an assumption).
      output: tokens(prng, { median: 380, sigma: 0.5 }, 40, 3000),
      finishReason: "stop",
      maxTokens: 4096,
      temperature: 0,
      stream: false,
      serviceTier: priority ? "priority" : "standard",
      traceId,
      tags: ["ci", "lint"],
      requestHash: ctx.hash(),
      prefixHash: "lint-v5",
      prefixTokens: 500,
    });
    if (priority) ctx.plant(OpportunityKind.PRIORITY_TIER, record, { ...record, service_tier: "standard" });
    out.push(record);
    at += prng.int(500, 4_000);
  }
  return out;
}
