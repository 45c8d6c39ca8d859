import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/names.ts";
import { storeTargets, type DisposableDatabase } from "./disposable-database.ts";
import { ThreadRepository } from "./threads.ts";
import { seedTwoOwners } from "./two-owners.ts";

describe.each(storeTargets())("ThreadRepository on $name", (target) => {
  let scratch: DisposableDatabase;
  let threads: ThreadRepository;
  let alice: string;
  let mallory: string;
  let seeded: string;
  beforeAll(async () => {
    scratch = await target.create();
    ({ alice, mallory, thread: seeded } = await seedTwoOwners(scratch.database.db));
    threads = new ThreadRepository(scratch.database.db);
  });
  afterAll(() => scratch.drop());

  it("lists only the owner's threads, most recently active first", async () => {
    const first = await threads.create(alice, "Where does the money go?");
    const second = await threads.create(alice, "Caching");
    await threads.create(mallory, "Mallory's own");
    await threads.touch(alice, first.id);
    expect((await threads.listByOwner(alice)).map((t) => t.id)).toEqual([first.id, second.id, seeded]);
    expect((await threads.listByOwner(mallory)).map((t) => t.title)).toEqual(["Mallory's own"]);
  });

  it("never reads, renames, touches or deletes another user's thread", async () => {
    const mine = await threads.create(alice, "Private analysis");
    expect(await threads.get(mallory, mine.id)).toBeNull();
    expect(await threads.rename(mallory, mine.id, "pwned")).toBeNull();
    expect(await threads.touch(mallory, mine.id)).toBe(false);
    expect(await threads.delete(mallory, mine.id)).toBe(false);
    expect((await threads.get(alice, mine.id))?.title).toBe("Private analysis");

    expect((await threads.rename(alice, mine.id, "  Renamed  "))?.title).toBe("Renamed");
    expect(await threads.delete(alice, mine.id)).toBe(true);
    expect(await threads.get(alice, mine.id)).toBeNull();
  });

  it("refuses an empty or oversized title", async () => {
    await expect(threads.create(alice, "   ")).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
    await expect(threads.create(alice, "x".repeat(201))).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
  });
});
