import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/names.ts";
import { storeTargets, type DisposableDatabase } from "./disposable-database.ts";
import { RunRepository } from "./runs.ts";
import { RunStatus } from "./schema.ts";
import { seedTwoOwners } from "./two-owners.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(storeTargets())("RunRepository on $name", (target) => {
  let scratch: DisposableDatabase;
  let runs: RunRepository;
  let alice: string;
  let mallory: string;
  let thread: string;
  beforeAll(async () => {
    scratch = await target.create();
    ({ alice, mallory, thread } = await seedTwoOwners(scratch.database.db));
    runs = new RunRepository(scratch.database.db);
  });
  afterAll(() => scratch.drop());

  const newRun = (id?: string, leaseMs = 30_000) =>
    runs.create({ ...(id === undefined ? {} : { id }), ownerId: alice, threadId: thread, request: "where does it go?", nodeId: "node-a", leaseMs });

  it("goes queued → running → completed once, with its timestamps, and only for its owner", async () => {
    const run = await newRun("run-lifecycle-1");
    expect(run).toMatchObject({ id: "run-lifecycle-1", status: RunStatus.QUEUED, startedAt: null, endedAt: null, nodeId: "node-a" });
    expect(await runs.markStarted(mallory, run.id)).toBe(false);
    expect(await runs.markStarted(alice, run.id)).toBe(true);
    expect(await runs.markStarted(alice, run.id)).toBe(false);
    expect(await runs.markCompleted(mallory, run.id)).toBe(false);
    expect(await runs.markCompleted(alice, run.id)).toBe(true);
    expect(await runs.markFailed(alice, run.id, { code: ErrorCode.INTERNAL, message: "late" })).toBe(false);
    const ended = await runs.get(alice, run.id);
    expect(ended).toMatchObject({ status: RunStatus.COMPLETED, error: null });
    expect(ended!.startedAt).toBeInstanceOf(Date);
    expect(ended!.endedAt!.getTime()).toBeGreaterThanOrEqual(ended!.startedAt!.getTime());
  });

  it("records the error of a failed run and the end of a cancelled one", async () => {
    const failed = await newRun();
    const cancelled = await newRun();
    await runs.markFailed(alice, failed.id, { code: ErrorCode.AGENT_FAILED, message: "Data failed." });
    await runs.markCancelled(alice, cancelled.id);
    expect(await runs.get(alice, failed.id)).toMatchObject({ status: RunStatus.FAILED, error: { code: ErrorCode.AGENT_FAILED } });
    expect(await runs.get(alice, cancelled.id)).toMatchObject({ status: RunStatus.CANCELLED });
  });

  it("hides runs from other users and refuses runs in their threads or with a taken id", async () => {
    const run = await newRun();
    expect(await runs.get(mallory, run.id)).toBeNull();
    expect(await runs.listByThread(mallory, thread)).toEqual([]);
    expect((await runs.listByThread(alice, thread)).map((r) => r.id)).toContain(run.id);
    await expect(runs.create({ ownerId: mallory, threadId: thread, request: "q", nodeId: "n", leaseMs: 1000 })).rejects.toMatchObject({
      code: ErrorCode.NOT_FOUND,
    });
    await expect(newRun(run.id)).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
    await expect(newRun(undefined, 0)).rejects.toMatchObject({ code: ErrorCode.INVALID_CONFIG });
  });

  it("lets only the holding node renew a lease, and reports open runs whose lease lapsed", async () => {
    const held = await newRun("run-lease-held", 150);
    const lapsing = await newRun("run-lease-lapsing", 150);
    const ended = await newRun("run-lease-ended", 150);
    await runs.markCompleted(alice, ended.id);
    expect(await runs.renewLease(held.id, "node-b", 60_000)).toBe(false);
    expect(await runs.renewLease(held.id, "node-a", 60_000)).toBe(true);
    expect(await runs.renewLease(ended.id, "node-a", 60_000)).toBe(false);
    await sleep(300);
    const expired = (await runs.expiredRuns()).map((r) => r.id);
    expect(expired).toContain(lapsing.id);
    expect(expired).not.toContain(held.id);
    expect(expired).not.toContain(ended.id);
    const later = (await runs.expiredRuns(new Date(Date.now() + 120_000))).map((r) => r.id);
    expect(later).toContain(held.id);
  });
});
