// A synthetic data job lives inside its run; when the run's node dies, the lease sweeper closes the run and, in the
// same sweep, ends the job it left open, so the jobs list never shows one "running" forever.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readProfile } from "../../src/agents/synthetic-request.ts";
import { EnvVar, ErrorCode, RoutePath } from "../../src/protocol/names.ts";
import { SyntheticJobStatus, type SyntheticJob } from "../../src/protocol/rest.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { SyntheticJobRepository } from "../../src/store/synthetic-jobs.ts";
import { ThreadRepository } from "../../src/store/threads.ts";
import { get, startSignedIn, type TestServer } from "./test-server.ts";

const OWNER = { email: "orphans@example.com", password: "owner-password-1" };
const LEASE_MS = 300;

describe.each(storeTargets())("jobs of dead runs on $name", (target) => {
  let server: TestServer;
  let token = "";
  let ownerId = "";

  beforeAll(async () => {
    ({ server, token, userId: ownerId } = await startSignedIn(target, OWNER, {
      [EnvVar.LEASE_MS]: String(LEASE_MS),
      [EnvVar.LEASE_RENEW_MS]: "100",
      [EnvVar.SWEEP_MS]: "100",
    }));
  });
  afterAll(() => server.stop());

  it("ends the job of a run whose node died as failed, interrupted, and leaves a live run's job alone", async () => {
    const { db } = server.app.database;
    const thread = await new ThreadRepository(db).create(ownerId, "Synthetic data");
    const runs = new RunRepository(db);
    const jobs = new SyntheticJobRepository(db);
    // The profile as the Synthetic Data agent reads it from a request.
    const profile = readProfile("generate 200k records of a saas workload into dataset big", 7, "big");
    // A run "executing" on a node that is gone: its lease lapses and nobody renews it.
    const dead = await runs.create({ ownerId, threadId: thread.id, request: "generate", nodeId: "node-that-died", leaseMs: LEASE_MS });
    await runs.markStarted(ownerId, dead.id);
    const deadJob = await jobs.planForRun({ ownerId, runId: dead.id, profile, status: SyntheticJobStatus.RUNNING, recordsTotal: 200_000, corpus: "big" });
    // A queued run of a live node (its lease far ahead): its job waits for approval and must stay so.
    const live = await runs.create({ ownerId, threadId: thread.id, request: "generate", nodeId: "node-alive", leaseMs: 3_600_000 });
    const liveJob = await jobs.planForRun({ ownerId, runId: live.id, profile, status: SyntheticJobStatus.PENDING_APPROVAL, recordsTotal: 200_000, corpus: "big" });

    const listed = async () => (await get(server.url + RoutePath.SYNTHETIC_JOBS, token)).body.jobs as SyntheticJob[];
    await expect.poll(async () => (await listed()).find((j) => j.job_id === deadJob.id)?.status, { timeout: 20_000 }).toBe(SyntheticJobStatus.FAILED);
    const ended = (await listed()).find((j) => j.job_id === deadJob.id);
    expect(ended?.error?.code).toBe(ErrorCode.INTERRUPTED);
    expect(ended?.finished_at).not.toBeNull();
    expect((await runs.get(ownerId, dead.id))?.status).toBe("failed");
    expect((await listed()).find((j) => j.job_id === liveJob.id)?.status).toBe(SyntheticJobStatus.PENDING_APPROVAL);
  });
});
