import { z } from "zod";
import { SCENARIOS } from "../analytics/generator/saas-scenario.ts";
import { OpportunityKind, type OpportunityKindName } from "../protocol/names.ts";
import type { SyntheticJob, SyntheticJobStatus } from "../protocol/rest.ts";
import { CorpusNameSchema } from "./scope.ts";

// Synthetic data jobs: the workload profile a request is read into and the jobs service the server implements (its
// synthetic_jobs table and its ingest path). Generating runs through the service so the agent can report progress as it
// goes; the tool that records a job is in synthetic-data.ts. A job's statuses and its REST shape are in src/protocol/.

export { SCENARIOS };

/** Jobs above this size are asked about before they run. */
export const APPROVAL_THRESHOLD_RECORDS = 50_000;
export const MAX_SYNTHETIC_RECORDS = 1_000_000;
export const MAX_SYNTHETIC_DAYS = 365;
const KINDS = Object.values(OpportunityKind) as [OpportunityKindName, ...OpportunityKindName[]];

export const WorkloadProfileSchema = z.object({
  records: z.number().int().min(1).max(MAX_SYNTHETIC_RECORDS),
  /** The traffic: saas (customer support features), devtools (developer tools), clean (saas with no waste). */
  scenario: z.enum(SCENARIOS),
  /** The waste kinds to plant; null = the scenario's own mix, [] = none. */
  waste: z.array(z.enum(KINDS)).max(KINDS.length).nullable(),
  days: z.number().int().min(1).max(MAX_SYNTHETIC_DAYS),
  /** The dataset the records land in. */
  corpus: CorpusNameSchema,
  seed: z.number().int().min(0).max(2 ** 31),
  /** The user asked to confirm before it runs, whatever its size. */
  confirm: z.boolean(),
});
export type WorkloadProfile = z.infer<typeof WorkloadProfileSchema>;

export function needsApproval(profile: WorkloadProfile): boolean {
  return profile.confirm || profile.records > APPROVAL_THRESHOLD_RECORDS;
}

/** The smallest rate a named waste kind is planted at, so asking for it makes it show. */
const MIN_NAMED_RATE = 0.3;

/** The generator's per-kind rates for a profile: undefined keeps the scenario's mix; named kinds only, otherwise. */
export function wasteRatesOf(profile: WorkloadProfile, defaults: Readonly<Record<OpportunityKindName, number>>): Record<OpportunityKindName, number> | undefined {
  if (profile.waste === null || profile.scenario === "clean") return undefined;
  const named = new Set(profile.waste);
  return Object.fromEntries(KINDS.map((kind) => [kind, named.has(kind) ? Math.max(defaults[kind], MIN_NAMED_RATE) : 0])) as Record<OpportunityKindName, number>;
}

export interface SyntheticRunOptions {
  signal: AbortSignal;
  /** Called every `progressEvery` records and once at the end, after records_done is stored. */
  onProgress(done: number, total: number): Promise<void>;
  progressEvery: number;
  /** The user's decision when the job was asked about (audited). */
  decision?: string;
}

/** What the server gives the Synthetic Data agent: the synthetic_jobs table and the ingest path. */
export interface SyntheticJobs {
  /** Records the run's job (or takes over the one REST opened for the run) with this profile and status. */
  plan(owner: string, runId: string, profile: WorkloadProfile, status: typeof SyntheticJobStatus.PENDING_APPROVAL | typeof SyntheticJobStatus.RUNNING): Promise<SyntheticJob>;
  /** Ends a job that will not run: declined by the user, or its question expired. */
  close(owner: string, jobId: string, status: typeof SyntheticJobStatus.DECLINED | typeof SyntheticJobStatus.EXPIRED): Promise<void>;
  /** Generates the records and ingests them into the profile's corpus; marks the job completed or failed. */
  run(owner: string, jobId: string, profile: WorkloadProfile, options: SyntheticRunOptions): Promise<{ ingested: number; corpus: string }>;
}
