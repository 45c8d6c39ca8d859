// Questions and answers through the app store: a run waiting on one node gets the answer given on another (PostgreSQL),
// and on every store the first answer wins, the same answer again is a duplicate, a different one is refused, a late
// one is refused as expired, and another user's answer is refused as if the question did not exist.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Decision, ErrorCode, InterruptKind } from "../../src/protocol/names.ts";
import type { OpenInterrupt } from "../../src/runtime/interrupts.ts";
import { uuidv7 } from "../../src/runtime/ids.ts";
import { StoreInterruptBroker } from "../../src/server/interrupt-broker.ts";
import { openDatabase, type Database } from "../../src/store/database.ts";
import { storeTargets, type DisposableDatabase } from "../../src/store/disposable-database.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { seedTwoOwners, type TwoOwners } from "../../src/store/two-owners.ts";

const OPTIONS = [Decision.APPROVE, Decision.MODIFY, Decision.DECLINE];
const POLL_MS = 20;

describe.each(storeTargets())("the store's interrupt broker on $name", (target) => {
  let disposable: DisposableDatabase;
  let otherNode: Database | undefined;
  let owners: TwoOwners;
  let runId = "";
  let running: StoreInterruptBroker;
  let answering: StoreInterruptBroker;

  beforeAll(async () => {
    disposable = await target.create();
    owners = await seedTwoOwners(disposable.database.db);
    runId = (await new RunRepository(disposable.database.db).create({ ownerId: owners.alice, threadId: owners.thread, request: "r", nodeId: "n", leaseMs: 60_000 })).id;
    running = new StoreInterruptBroker(disposable.database.db, POLL_MS);
    // on PostgreSQL the answer comes through another node's connection pool; PGlite has one connection
    otherNode = disposable.url === undefined ? undefined : await openDatabase({ databaseUrl: disposable.url });
    answering = new StoreInterruptBroker((otherNode ?? disposable.database).db, POLL_MS);
  });

  afterAll(async () => {
    await otherNode?.close();
    await disposable.drop();
  });

  const ask = async (expiresInMs = 60_000): Promise<OpenInterrupt> => {
    const question = { id: uuidv7(), runId, userId: owners.alice, kind: InterruptKind.APPROVAL, prompt: "Go?", options: OPTIONS, expiresAt: new Date(Date.now() + expiresInMs) };
    await running.open(question);
    return question;
  };

  it("hands an answer given elsewhere to the waiting run; duplicates are acknowledged, changes refused", async () => {
    const question = await ask();
    const waiting = running.wait(question.id, new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 3 * POLL_MS));
    expect(await answering.answer(owners.alice, question.id, { decision: Decision.MODIFY, payload: { records: 10 } })).toBe("accepted");
    expect(await waiting).toEqual({ decision: Decision.MODIFY, payload: { records: 10 } });
    expect(await answering.answer(owners.alice, question.id, { decision: Decision.MODIFY, payload: { records: 10 } })).toBe("duplicate");
    await expect(running.answer(owners.alice, question.id, { decision: Decision.APPROVE })).rejects.toMatchObject({ code: ErrorCode.INTERRUPT_ANSWERED });
  });

  it("lets exactly one of many simultaneous answers win", async () => {
    const question = await ask();
    const decisions = [Decision.APPROVE, Decision.DECLINE, Decision.APPROVE, Decision.DECLINE];
    const results = await Promise.allSettled(decisions.map((decision, i) => (i % 2 === 0 ? running : answering).answer(owners.alice, question.id, { decision })));
    const winners = results.filter((r) => r.status === "fulfilled" && r.value === "accepted");
    expect(winners).toHaveLength(1);
    const answer = await running.wait(question.id, new AbortController().signal);
    // every other call is a duplicate of the winner or refused as a change of it
    for (const [i, r] of results.entries()) {
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: ErrorCode.INTERRUPT_ANSWERED });
      else expect(decisions[i]).toBe(answer?.decision);
    }
  });

  it("refuses another user's answer as not found, a choice not offered, and a late answer", async () => {
    const question = await ask(150);
    await expect(answering.answer(owners.mallory, question.id, { decision: Decision.APPROVE })).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    await expect(answering.answer(owners.alice, question.id, { decision: "whatever" })).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
    expect(await running.wait(question.id, new AbortController().signal)).toBeNull();
    await expect(answering.answer(owners.alice, question.id, { decision: Decision.APPROVE })).rejects.toMatchObject({ code: ErrorCode.INTERRUPT_EXPIRED });
  });

  it("stops waiting when the run is cancelled", async () => {
    const question = await ask();
    const cancel = new AbortController();
    const waiting = running.wait(question.id, cancel.signal);
    setTimeout(() => cancel.abort(new Error("cancelled")), 3 * POLL_MS);
    await expect(waiting).rejects.toThrow("cancelled");
  });
});
