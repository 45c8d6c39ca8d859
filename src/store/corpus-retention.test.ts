import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CorpusRetentionRepository } from "./corpus-retention.ts";
import { storeTargets, type DisposableDatabase } from "./disposable-database.ts";
import { seedTwoOwners } from "./two-owners.ts";

describe.each(storeTargets())("CorpusRetentionRepository on $name", (target) => {
  let scratch: DisposableDatabase;
  let settings: CorpusRetentionRepository;
  let alice: string;
  let mallory: string;
  beforeAll(async () => {
    scratch = await target.create();
    ({ alice, mallory } = await seedTwoOwners(scratch.database.db));
    settings = new CorpusRetentionRepository(scratch.database.db);
  });
  afterAll(() => scratch.drop());

  it("sets, reads and removes one owner's setting; another owner's corpus of the same name is separate", async () => {
    await settings.set(alice, "prod", 30);
    await settings.set(mallory, "prod", 7);
    expect(await settings.get(alice, "prod")).toBe(30);
    await settings.set(alice, "prod", 90);
    expect(await settings.get(alice, "prod")).toBe(90);
    await settings.set(alice, "prod", null);
    expect(await settings.get(alice, "prod")).toBeNull();
    expect(await settings.get(mallory, "prod")).toBe(7);
  });

  it("moves a setting with a rename, replacing a leftover setting under the new name instead of failing", async () => {
    await settings.set(alice, "march", 14);
    // A leftover under the target name (its corpus long gone): the unique key would refuse a plain update.
    await settings.set(alice, "april", 365);
    await settings.rename(alice, "march", "april");
    expect(await settings.get(alice, "april")).toBe(14);
    expect(await settings.get(alice, "march")).toBeNull();
    // Renaming to the same name keeps the setting.
    await settings.rename(alice, "april", "april");
    expect(await settings.get(alice, "april")).toBe(14);
  });
});
