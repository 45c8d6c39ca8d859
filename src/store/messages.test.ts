import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/names.ts";
import { storeTargets, type DisposableDatabase } from "./disposable-database.ts";
import { MessageRepository } from "./messages.ts";
import { RunRepository } from "./runs.ts";
import { MessageRole } from "./schema.ts";
import { ThreadRepository } from "./threads.ts";
import { seedTwoOwners } from "./two-owners.ts";

describe.each(storeTargets())("MessageRepository on $name", (target) => {
  let scratch: DisposableDatabase;
  let messages: MessageRepository;
  let alice: string;
  let mallory: string;
  let thread: string;
  let otherThread: string;
  beforeAll(async () => {
    scratch = await target.create();
    const db = scratch.database.db;
    ({ alice, mallory, thread } = await seedTwoOwners(db));
    otherThread = (await new ThreadRepository(db).create(alice, "Other")).id;
    messages = new MessageRepository(db);
  });
  afterAll(() => scratch.drop());

  it("pages a thread's messages in the order they were stored", async () => {
    const runs = new RunRepository(scratch.database.db);
    const run = await runs.create({ ownerId: alice, threadId: thread, request: "q", nodeId: "node-a", leaseMs: 30_000 });
    const stored = [];
    for (let i = 0; i < 7; i += 1) {
      stored.push(await messages.append(alice, { threadId: thread, role: i % 2 === 0 ? MessageRole.USER : MessageRole.ASSISTANT, content: `m${i}`, runId: run.id }));
    }
    const firstPage = await messages.page(alice, thread, { limit: 3 });
    expect(firstPage.map((m) => m.content)).toEqual(["m0", "m1", "m2"]);
    const nextPage = await messages.page(alice, thread, { afterId: firstPage.at(-1)!.id, limit: 10 });
    expect(nextPage.map((m) => m.content)).toEqual(["m3", "m4", "m5", "m6"]);
    expect(nextPage.every((m) => m.runId === run.id)).toBe(true);
    expect(await messages.page(alice, otherThread)).toEqual([]);
  });

  it("never reads or writes another user's thread, nor links a run of another thread", async () => {
    expect(await messages.page(mallory, thread)).toEqual([]);
    await expect(messages.append(mallory, { threadId: thread, role: MessageRole.USER, content: "injected" })).rejects.toMatchObject({
      code: ErrorCode.NOT_FOUND,
    });
    const runs = new RunRepository(scratch.database.db);
    const elsewhere = await runs.create({ ownerId: alice, threadId: otherThread, request: "q", nodeId: "node-a", leaseMs: 30_000 });
    await expect(messages.append(alice, { threadId: thread, role: MessageRole.USER, content: "x", runId: elsewhere.id })).rejects.toMatchObject({
      code: ErrorCode.NOT_FOUND,
    });
    expect((await messages.page(alice, thread, { limit: 500 })).some((m) => m.content === "injected" || m.content === "x")).toBe(false);
  });
});
