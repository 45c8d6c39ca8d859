import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, Role, Tier } from "../protocol/names.ts";
import { storeTargets, type DisposableDatabase } from "./disposable-database.ts";
import { UserRepository } from "./users.ts";

describe.each(storeTargets())("UserRepository on $name", (target) => {
  let scratch: DisposableDatabase;
  let users: UserRepository;
  beforeAll(async () => {
    scratch = await target.create();
    users = new UserRepository(scratch.database.db);
  });
  afterAll(() => scratch.drop());

  it("stores the hash it is given, finds by email in any case, and refuses a second account for the address", async () => {
    const ada = await users.create({ email: " Ada@Example.com ", passwordHash: "$argon2id$v=19$hash-a", role: Role.ADMIN, tier: Tier.PRO });
    expect(ada).toMatchObject({ email: "ada@example.com", passwordHash: "$argon2id$v=19$hash-a", role: Role.ADMIN, tier: Tier.PRO });
    expect((await users.findByEmail("ADA@example.COM"))?.id).toBe(ada.id);
    expect((await users.findById(ada.id))?.email).toBe("ada@example.com");
    await expect(users.create({ email: "ada@example.com", passwordHash: "other" })).rejects.toMatchObject({ code: ErrorCode.EMAIL_TAKEN });
    expect(await users.findByEmail("nobody@example.com")).toBeNull();
  });

  it("defaults to the user role and free tier, and lists accounts without their hashes", async () => {
    const bob = await users.create({ email: "bob@example.com", passwordHash: "hash-b" });
    expect(bob).toMatchObject({ role: Role.USER, tier: Tier.FREE });
    const listed = await users.list();
    expect(listed.map((u) => u.email)).toEqual(["ada@example.com", "bob@example.com"]);
    for (const user of listed) expect(user).not.toHaveProperty("passwordHash");
  });

  it("rejects a malformed address and an empty hash with invalid_request", async () => {
    await expect(users.create({ email: "not-an-address", passwordHash: "h" })).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
    await expect(users.create({ email: "c@example.com", passwordHash: "" })).rejects.toMatchObject({ code: ErrorCode.INVALID_REQUEST });
  });
});
