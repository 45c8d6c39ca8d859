import { DEVTOOLS_WASTE_RATES } from "../analytics/generator/devtools-scenario.ts";
import { NO_WASTE, SAAS_WASTE_RATES } from "../analytics/generator/saas-scenario.ts";
import { writeWorkloadFile } from "../analytics/generator/workload-file.ts";
import { openUsageReaderInWorker } from "../analytics/read-usage-in-worker.ts";
import type { ReadItem, UsageReader } from "../analytics/read-usage.ts";
import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ApexError, toApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { SyntheticJobStatus, type SyntheticJob, type SyntheticJobStatusName } from "../protocol/rest.ts";
import type { StoreDb } from "../store/database.ts";
import { SyntheticJobRepository, type SyntheticJob as SyntheticJobRow } from "../store/synthetic-jobs.ts";
import { UserRepository } from "../store/users.ts";
import { wasteRatesOf, type SyntheticJobs, type SyntheticRunOptions, type WorkloadProfile } from "../tools/synthetic-jobs.ts";
import { AuditAction } from "./audit-actions.ts";
import type { AuditTrail } from "./audit-trail.ts";
import { ingestForOwner, type UsageIngestTarget } from "./usage-ingest.ts";

// The server's side of synthetic data jobs: the synthetic_jobs rows and the generator's records read through the same
// ingest path as uploads and demo data (validated, priced, counted against the ingest quota). Records are generated
// into a temp file by a worker thread, then read by the reader's own thread, so neither runs on the event loop and a job
// of any size never sits in memory; records_done follows the ingest along. The owner's account is read before the job
// starts and at each progress step: a job of an account disabled meanwhile stops, ingesting nothing more.

export interface SyntheticJobServiceOptions extends UsageIngestTarget {
  db: StoreDb;
  audit: Pick<AuditTrail, "recordFor">;
  /** Where a job's records are written while they are read (the uploads directory, swept at start). */
  scratchDir: string;
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

/** The reader with `step` awaited after every `every` items and after the last of `total`, as the ingest pulls them. */
function withSteps(reader: UsageReader, every: number, total: number, step: (done: number) => Promise<void>): UsageReader {
  async function* items(): AsyncGenerator<ReadItem> {
    let done = 0;
    for await (const item of reader.items) {
      yield item;
      done += 1;
      if (done % every === 0 || done === total) await step(done);
    }
  }
  return { format: reader.format, items: items(), bytesRead: () => reader.bytesRead(), close: () => reader.close() };
}

export class SyntheticJobService implements SyntheticJobs {
  readonly #jobs: SyntheticJobRepository;
  readonly #users: UserRepository;
  readonly #options: SyntheticJobServiceOptions;

  constructor(options: SyntheticJobServiceOptions) {
    this.#jobs = new SyntheticJobRepository(options.db);
    this.#users = new UserRepository(options.db);
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
    const ownerEnabled = () => this.#ownerEnabled(owner);
    try {
      await ownerEnabled();
    } catch (error) {
      await this.#jobs.finish(owner, jobId, SyntheticJobStatus.FAILED, { error: toApexError(error).toWire() });
      throw error;
    }
    await this.#jobs.update(owner, jobId, { status: SyntheticJobStatus.RUNNING, profile, recordsTotal: total, recordsDone: 0, corpus: profile.corpus });
    if (decision !== undefined) await this.#auditApproval(owner, jobId, decision, profile);
    const jobs = this.#jobs;
    const path = join(this.#options.scratchDir, `${randomUUID()}.synthetic.jsonl`);
    try {
      const wasteRates = wasteRatesOf(profile, DEFAULT_RATES[profile.scenario]);
      await mkdir(this.#options.scratchDir, { recursive: true });
      const spec = { scenario: profile.scenario, records: total, days: profile.days, seed: profile.seed, start: startOf(profile.days, Date.now()) };
      // While the records are made, each step only checks that the job may go on; records_done counts the ingest.
      await writeWorkloadFile(path, { ...spec, ...(wasteRates === undefined ? {} : { wasteRates }) }, { signal, progressEvery, onProgress: ownerEnabled });
      const reader = await openUsageReaderInWorker(path, { format: "canonical" }, { signal });
      const stepped = withSteps(reader, progressEvery, total, async (done) => {
        signal.throwIfAborted();
        await ownerEnabled();
        await jobs.update(owner, jobId, { recordsDone: done });
        await onProgress(done, total);
      });
      const summary = await ingestForOwner(this.#options, stepped, owner, profile.corpus);
      await this.#jobs.finish(owner, jobId, SyntheticJobStatus.COMPLETED, { recordsDone: total });
      return { ingested: summary.ingested, corpus: profile.corpus };
    } catch (error) {
      await this.#jobs.finish(owner, jobId, SyntheticJobStatus.FAILED, { error: toApexError(error).toWire() });
      throw error;
    } finally {
      await rm(path, { force: true });
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
      message: "The server running this job stopped before it finished; the records ingested so far were kept and its dataset is marked partial. Ask again to run it anew.",
    });
  }

  async #ownerEnabled(owner: string): Promise<void> {
    const account = await this.#users.findById(owner);
    if (account === null || account.disabledAt !== null) {
      throw new ApexError(ErrorCode.UNAUTHORIZED, "The account that asked for this job is disabled or gone; nothing more is generated. An admin can enable it.");
    }
  }

  async #auditApproval(owner: string, jobId: string, decision: string, profile: WorkloadProfile): Promise<void> {
    await this.#options.audit.recordFor(owner, {
      action: AuditAction.SYNTHETIC_JOB_APPROVE,
      target: jobId,
      params: { decision, records: profile.records, scenario: profile.scenario, corpus: profile.corpus },
    });
  }
}
