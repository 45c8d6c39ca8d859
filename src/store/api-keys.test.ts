import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/names.ts";
import { ApiKeyRepository } from "./api-keys.ts";
import { storeTargets, type DisposableDatabase } from "./disposable-database.ts";
import { seedTwoOwners } from "./two-owners.ts";

describe.each(storeTargets())("ApiKeyRepository on $name", (target) => {
  let scratch: DisposableDatabase;
  let keys: ApiKeyRepository;
  let alice: string;
  let mallory: string;
  beforeAll(async () => {
    scratch = await target.create();
    ({ alice, mallory } = await seedTwoOwners(scratch.database.db));
    keys = new ApiKeyRepository(scratch.database.db);
  });
  afterAll(() => scratch.drop());

  it("shows the secret once, stores only its hash, and authenticates its owner with it", async () => {
    const issued = await keys.create(alice, "nightly export");
    expect(issued.secret).toMatch(/^apex_[A-Za-z0-9_-]{43}$/);
    expect(issued.key).not.toHaveProperty("keyHash");
    expect(issued.secret.startsWith(issued.key.prefix)).toBe(true);
    const stored = await scratch.database.db.execute(sql`select key_hash from api_keys where id = ${issued.key.id}`);
    const hash = (stored as unknown as { rows: { key_hash: string }[] }).rows[0]?.key_hash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(issued.secret.slice(5, 20));
    expect((await keys.authenticate(issued.secret))?.id).toBe(alice);
    expect((await keys.list(alice))[0]?.lastUsedAt).toBeInstanceOf(Date);
    expect(await keys.authenticate(issued.secret.slice(0, -1) + "x")).toBeNull();
    expect(await keys.authenticate("Bearer nonsense")).toBeNull();
  });

  it("lists and revokes only the owner's keys", async () => {
    const issued = await keys.create(alice, "ci");
    expect((await keys.list(mallory)).length).toBe(0);
    expect(await keys.revoke(mallory, issued.key.id)).toBe(false);
    expect((await keys.authenticate(issued.secret))?.id).toBe(alice);
    expect(await keys.revoke(alice, issued.key.id)).toBe(true);
    expect(await keys.revoke(alice, issued.key.id)).toBe(false);
    expect(await keys.authenticate(issued.secret)).toBeNull();
    expect((await keys.list(alice)).map((k) => k.name)).toEqual(["nightly export", "ci"]);
  });

  it("refuses a key without a name", async () => {
    await expect(keys.create(alice, "  ")).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
  });
});
