import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WireError } from "../protocol/events.ts";
import { ErrorCode } from "../protocol/names.ts";
import { storeTargets, type DisposableDatabase } from "./disposable-database.ts";
import { RunRepository } from "./runs.ts";
import { SyntheticJobRepository } from "./synthetic-jobs.ts";
import { seedTwoOwners } from "./two-owners.ts";

// The statuses as the jobs service stores them (src/tools/synthetic-jobs.ts owns the names; the store takes strings).
const OPEN = ["pending_approval", "running"];
const INTERRUPTED: WireError = { code: ErrorCode.INTERRUPTED, message: "the node died" };
const PROFILE = { scenario: "saas", records: 10 };

describe.each(storeTargets())("SyntheticJobRepository on $name", (target) => {
  let scratch: DisposableDatabase;
  let jobs: SyntheticJobRepository;
  let runs: RunRepository;
  let alice: string;
  let thread: string;
  beforeAll(async () => {
    scratch = await target.create();
    ({ alice, thread } = await seedTwoOwners(scratch.database.db));
    jobs = new SyntheticJobRepository(scratch.database.db);
    runs = new RunRepository(scratch.database.db);
  });
  afterAll(() => scratch.drop());

  const runIn = async (state: "queued" | "running" | "failed" | "cancelled") => {
    const run = await runs.create({ ownerId: alice, threadId: thread, request: "generate", nodeId: "node-a", leaseMs: 60_000 });
    if (state !== "queued") await runs.markStarted(alice, run.id);
    if (state === "failed") await runs.markFailed(alice, run.id, INTERRUPTED);
    if (state === "cancelled") await runs.markCancelled(alice, run.id);
    return run.id;
  };
  const job = async (runId: string, status: string) =>
    (await jobs.planForRun({ ownerId: alice, runId, profile: PROFILE, status, recordsTotal: 10, corpus: `c-${runId}` })).id;

  it("ends the open jobs of runs that are over, and only those", async () => {
    const queued = await job(await runIn("queued"), "pending_approval");
    const generating = await job(await runIn("running"), "running");
    const deadAsking = await job(await runIn("failed"), "pending_approval");
    const deadGenerating = await job(await runIn("cancelled"), "running");
    const finished = await job(await runIn("failed"), "running");
    await jobs.finish(alice, finished, "completed", { recordsDone: 10 });

    const ended = await jobs.endOrphaned(OPEN, "failed", INTERRUPTED);
    expect(ended.sort()).toEqual([deadAsking, deadGenerating].sort());
    for (const id of ended) {
      const row = await jobs.get(alice, id);
      expect(row).toMatchObject({ status: "failed", error: INTERRUPTED });
      expect(row?.finishedAt).toBeInstanceOf(Date);
    }
    expect((await jobs.get(alice, queued))?.status).toBe("pending_approval");
    expect((await jobs.get(alice, generating))?.status).toBe("running");
    expect((await jobs.get(alice, finished))?.status).toBe("completed");
    // Nothing left to end: a second sweep changes nothing.
    expect(await jobs.endOrphaned(OPEN, "failed", INTERRUPTED)).toEqual([]);
  });
});
