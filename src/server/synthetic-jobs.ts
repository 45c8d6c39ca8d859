import { DEVTOOLS_WASTE_RATES } from "../analytics/generator/devtools-scenario.ts";
import { NO_WASTE, SAAS_WASTE_RATES } from "../analytics/generator/saas-scenario.ts";
import { generateWorkload } from "../analytics/generator/workload.ts";
import { readUsageLines } from "../analytics/read-usage.ts";
import { toApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { SyntheticJobStatus, type SyntheticJob, type SyntheticJobStatusName } from "../protocol/rest.ts";
import type { StoreDb } from "../store/database.ts";
import { SyntheticJobRepository, type SyntheticJob as SyntheticJobRow } from "../store/synthetic-jobs.ts";
import { wasteRatesOf, type SyntheticJobs, type SyntheticRunOptions, type WorkloadProfile } from "../tools/synthetic-jobs.ts";
import { AuditAction } from "./audit-actions.ts";
import type { AuditTrail } from "./audit-trail.ts";
import { ingestForOwner, type UsageIngestTarget } from "./usage-ingest.ts";

// The server's side of synthetic data jobs: the synthetic_jobs rows and the generator's records read through the same
// ingest path as uploads and demo data (validated, priced, counted against the ingest quota). Records are generated
// as the ingest pulls them, so a job of any size never sits in memory; records_done follows along.

export interface SyntheticJobServiceOptions extends UsageIngestTarget {
  db: StoreDb;
  audit: Pick<AuditTrail, "recordFor">;
}

const DAY_MS = 86_400_000;
const DEFAULT_RATES = { saas: SAAS_WASTE_RATES, devtools: DEVTOOLS_WASTE_RATES, clean: NO_WASTE } as const;

/** A stored job as REST and the job tool answer it. */
export function jobView(job: SyntheticJobRow): SyntheticJob {
  return {
    job_id: job.id,
    run_id: job.runId,
    status: job.status as SyntheticJobStatusName,
    profile: job.profile as WorkloadProfile,
    records_total: job.recordsTotal,
    records_done: job.recordsDone,
    corpus: job.corpus,
    error: job.error ?? null,
    created_at: job.createdAt.toISOString(),
    finished_at: job.finishedAt?.toISOString() ?? null,
  };
}

/** The last whole days up to today (UTC), as demo data: the dataset looks current. */
function startOf(days: number, now: number): string {
  return new Date((Math.floor(now / DAY_MS) - days) * DAY_MS).toISOString();
}

export class SyntheticJobService implements SyntheticJobs {
  readonly #jobs: SyntheticJobRepository;
  readonly #options: SyntheticJobServiceOptions;

  constructor(options: SyntheticJobServiceOptions) {
    this.#jobs = new SyntheticJobRepository(options.db);
    this.#options = options;
  }

  get repository(): SyntheticJobRepository {
    return this.#jobs;
  }

  async plan(owner: string, runId: string, profile: WorkloadProfile, status: SyntheticJobStatusName): Promise<SyntheticJob> {
    const job = await this.#jobs.planForRun({ ownerId: owner, runId, profile, status, recordsTotal: profile.records, corpus: profile.corpus });
    return jobView(job);
  }

  async close(owner: string, jobId: string, status: SyntheticJobStatusName): Promise<void> {
    await this.#jobs.finish(owner, jobId, status);
  }

  async run(owner: string, jobId: string, profile: WorkloadProfile, options: SyntheticRunOptions): Promise<{ ingested: number; corpus: string }> {
    const { signal, onProgress, progressEvery, decision } = options;
    const total = profile.records;
    await this.#jobs.update(owner, jobId, { status: SyntheticJobStatus.RUNNING, profile, recordsTotal: total, recordsDone: 0, corpus: profile.corpus });
    if (decision !== undefined) await this.#auditApproval(owner, jobId, decision, profile);
    const jobs = this.#jobs;
    try {
      const wasteRates = wasteRatesOf(profile, DEFAULT_RATES[profile.scenario]);
      const workload = generateWorkload({
        scenario: profile.scenario,
        records: total,
        days: profile.days,
        seed: profile.seed,
        start: startOf(profile.days, Date.now()),
        ...(wasteRates === undefined ? {} : { wasteRates }),
        price: (record) => this.#options.prices.price(record).computed_cost_usd,
      });
      async function* lines(): AsyncGenerator<string> {
        let done = 0;
        for (const record of workload.records()) {
          yield JSON.stringify(record);
          done += 1;
          if (done % progressEvery === 0 || done === total) {
            signal.throwIfAborted();
            await jobs.update(owner, jobId, { recordsDone: done });
            await onProgress(done, total);
          }
        }
      }
      const reader = await readUsageLines(lines(), { format: "canonical" }, `synthetic job ${jobId}`);
      const summary = await ingestForOwner(this.#options, reader, owner, profile.corpus);
      await this.#jobs.finish(owner, jobId, SyntheticJobStatus.COMPLETED, { recordsDone: total });
      return { ingested: summary.ingested, corpus: profile.corpus };
    } catch (error) {
      await this.#jobs.finish(owner, jobId, SyntheticJobStatus.FAILED, { error: toApexError(error).toWire() });
      throw error;
    }
  }

  /**
   * Ends the jobs whose run is over while they are still asked about or generating (their node died mid-job): failed,
   * `interrupted`, so the jobs page never shows one "running" forever. Run by the lease sweeper after it closes dead runs.
   */
  async endOrphaned(): Promise<string[]> {
    const open = [SyntheticJobStatus.PENDING_APPROVAL, SyntheticJobStatus.RUNNING];
    return this.#jobs.endOrphaned(open, SyntheticJobStatus.FAILED, {
      code: ErrorCode.INTERRUPTED,
      message: "The server running this job stopped before it finished; the records generated so far were not kept. Ask again to run it anew.",
    });
  }

  async #auditApproval(owner: string, jobId: string, decision: string, profile: WorkloadProfile): Promise<void> {
    await this.#options.audit.recordFor(owner, {
      action: AuditAction.SYNTHETIC_JOB_APPROVE,
      target: jobId,
      params: { decision, records: profile.records, scenario: profile.scenario, corpus: profile.corpus },
    });
  }
}
