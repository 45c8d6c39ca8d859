import { z } from "zod";
import { AgentName, Decision, InterruptKind, OpportunityKind, ToolName, type OpportunityKindName } from "../protocol/names.ts";
import { SyntheticJobStatus, type SyntheticJob } from "../protocol/rest.ts";
import type { Agent, AgentInput } from "../runtime/agent.ts";
import type { Answer } from "../runtime/interrupts.ts";
import type { ApexServices } from "../tools/services.ts";
import { syntheticJobsOf } from "../tools/synthetic-data.ts";
import { APPROVAL_THRESHOLD_RECORDS, SCENARIOS, WorkloadProfileSchema, type WorkloadProfile } from "../tools/synthetic-jobs.ts";
import { readStructured } from "./llm-fallback.ts";
import { plural } from "./money.ts";
import { approvalTtl, finish } from "./plain-report.ts";
import { skipUnlessGenerating } from "./skip-rules.ts";
import { describeProfile, profileForRun, profileSummary } from "./synthetic-request.ts";

// The Synthetic Data agent: reads a request ("generate 200k records of a support-chat workload with caching waste")
// into a workload profile, asks before a large job (approve / modify / decline), then has the server generate it into
// a dataset, saying how far it got as it goes. The run's report says what was made, or why nothing was.

const KINDS = Object.values(OpportunityKind) as [OpportunityKindName, ...OpportunityKindName[]];
const LlmProfileSchema = z.object({
  records: z.number().int().positive(),
  scenario: z.enum(SCENARIOS),
  waste: z.array(z.enum(KINDS)).nullable(),
  days: z.number().int().positive(),
  confirm: z.boolean(),
});
/** What a `modify` answer may change. */
const ModificationSchema = WorkloadProfileSchema.pick({ records: true, days: true, scenario: true, waste: true }).partial().strict();
const PROGRESS_STEPS = 10;
const MIN_PROGRESS_EVERY = 1_000;
const OPTIONS = [Decision.APPROVE, Decision.MODIFY, Decision.DECLINE];

/** The rules' reading, or the LLM's when one is configured and its answer is a valid profile. */
async function readRequestProfile(input: AgentInput<ApexServices>): Promise<WorkloadProfile> {
  const rules = profileForRun(input.request, input.context.runId);
  // A request written from a profile (REST) reads back exactly by the rules: no model is asked to guess it.
  if (describeProfile(rules) === input.request.trim()) return rules;
  const reading = await readStructured(
    { llm: input.services.llm, think: input.think, signal: input.signal },
    {
      task: "read the workload you describe",
      system:
        `Read a request for synthetic LLM usage data. records: how many; scenario: one of ${SCENARIOS.join(", ")} (saas = customer support features, ` +
        `devtools = developer tools, clean = saas without waste); waste: the waste kinds to plant among ${KINDS.join(", ")}, [] for none, null when unsaid; ` +
        "days: the period; confirm: whether the user wants to be asked before it runs.",
      text: input.request,
      output: { name: "workload_profile", schema: LlmProfileSchema },
    },
  );
  if (reading === undefined) return rules;
  const checked = WorkloadProfileSchema.safeParse({ ...reading, corpus: rules.corpus, seed: rules.seed });
  if (!checked.success) {
    await input.think("The model's reading is not a workload Apex can generate; keeping the rules' reading.");
    return rules;
  }
  return checked.data;
}

/** The profile an answer asks for; null for a modification that is not a valid profile. */
function chosenProfile(profile: WorkloadProfile, answer: Answer): WorkloadProfile | null {
  if (answer.decision !== Decision.MODIFY) return profile;
  const change = ModificationSchema.safeParse(answer.payload ?? {});
  if (!change.success) return null;
  const next = WorkloadProfileSchema.safeParse({ ...profile, ...change.data });
  return next.success ? next.data : null;
}

export const syntheticDataAgent: Agent<ApexServices> = {
  name: AgentName.SYNTHETIC_DATA,
  description: "Generating a synthetic usage dataset: reading the workload you describe, asking before a large job, then generating it.",
  skip: skipUnlessGenerating,
  async run(input) {
    const jobs = syntheticJobsOf(input.services);
    const owner = input.context.userId;
    const profile = await readRequestProfile(input);
    await input.think(`Reading your request as ${profileSummary(profile)}.`);
    const job = await input.tools.call<SyntheticJob>(ToolName.PLAN_SYNTHETIC_JOB, { profile });
    let chosen = profile;
    let decision: string | undefined;
    if (job.status === SyntheticJobStatus.PENDING_APPROVAL) {
      const why = profile.records > APPROVAL_THRESHOLD_RECORDS ? `it is over ${APPROVAL_THRESHOLD_RECORDS.toLocaleString("en-US")} records` : "you asked to confirm";
      await input.think(`Asking you before job ${job.job_id} runs, since ${why}.`);
      const answer = await input.ask({
        kind: InterruptKind.APPROVAL,
        prompt: `Generate ${profileSummary(profile)}? Approve, modify it (e.g. {"records": 20000}), or decline.`,
        options: OPTIONS,
        expiresInMs: approvalTtl(input.services),
      });
      if (answer === null) {
        await jobs.close(owner, job.job_id, SyntheticJobStatus.EXPIRED);
        return finish(input, "The question expired before you answered; nothing was generated. Ask again to start a new job.");
      }
      const next = answer.decision === Decision.DECLINE ? null : chosenProfile(profile, answer);
      if (next === null) {
        await jobs.close(owner, job.job_id, SyntheticJobStatus.DECLINED);
        return finish(input, answer.decision === Decision.DECLINE
          ? "You declined the job; nothing was generated."
          : `The change ${JSON.stringify(answer.payload ?? {})} is not a workload Apex can generate (records up to 1,000,000, days up to 365); nothing was generated.`);
      }
      chosen = next;
      decision = answer.decision;
      if (answer.decision === Decision.MODIFY) await input.think(`Changed as you asked: ${profileSummary(chosen)}.`);
    }
    const progressEvery = Math.max(MIN_PROGRESS_EVERY, Math.ceil(chosen.records / PROGRESS_STEPS));
    const result = await jobs.run(owner, job.job_id, chosen, {
      signal: input.signal,
      progressEvery,
      onProgress: (done, total) => input.think(`Generated ${done.toLocaleString("en-US")} of ${plural(total, "record")}.`),
      ...(decision === undefined ? {} : { decision }),
    });
    // The same seed and dataset make the same records: a repeat adds nothing and says so.
    const repeated = result.ingested < chosen.records ? ` (${plural(chosen.records - result.ingested, "record")} were already there)` : "";
    return finish(input, `Generated ${plural(result.ingested, "new record")} into the dataset "${result.corpus}"${repeated} (job ${job.job_id}). Ask "find savings in ${result.corpus}" to analyse it.`);
  },
};
