import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, Role } from "../protocol/names.ts";
import { ApiKeyRepository } from "../store/api-keys.ts";
import { openDatabase, type Database } from "../store/database.ts";
import { Authenticator } from "./auth.ts";

// The Authenticator on a real (in-memory) PGlite store: every credential that is not exactly right is `unauthorized`.

const SECRET = "s".repeat(48);
let database: Database;
let auth: Authenticator;

beforeAll(async () => {
  database = await openDatabase();
  auth = new Authenticator(database.db, SECRET, 3600);
});
afterAll(async () => {
  await database.close();
});

const unauthorized = expect.objectContaining({ code: ErrorCode.UNAUTHORIZED });

describe("Authenticator", () => {
  it("stores an argon2 hash, never the password, and signs in with it", async () => {
    const user = await auth.createUser("kim@example.com", "kim-password-1");
    expect(user).toEqual({ id: expect.any(String), email: "kim@example.com", role: Role.USER, tier: "free" });
    const { token, expiresAt } = await auth.login("KIM@example.com", "kim-password-1");
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    expect(await auth.authenticate(token)).toEqual(user);
    await expect(auth.login("kim@example.com", "kim-password-2")).rejects.toEqual(unauthorized);
  });

  it("rejects expired, forged, malformed and missing tokens", async () => {
    const user = await auth.createUser("lee@example.com", "lee-password-1");
    const expired = await new Authenticator(database.db, SECRET, -10).issueToken(user);
    await expect(auth.authenticate(expired.token)).rejects.toThrow(/expired/);
    const forged = await new SignJWT({ role: Role.ADMIN })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(user.id)
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("f".repeat(48)));
    await expect(auth.authenticate(forged)).rejects.toEqual(unauthorized);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ sub: user.id })).toString("base64url")}.`;
    await expect(auth.authenticate(unsigned)).rejects.toEqual(unauthorized);
    for (const bad of [undefined, "", "garbage"]) await expect(auth.authenticate(bad)).rejects.toEqual(unauthorized);
  });

  it("accepts an active API key and refuses it once revoked", async () => {
    const user = await auth.createUser("sam@example.com", "sam-password-1");
    const keys = new ApiKeyRepository(database.db);
    const { key, secret } = await keys.create(user.id, "nightly");
    expect((await auth.authenticate(secret)).id).toBe(user.id);
    await keys.revoke(user.id, key.id);
    await expect(auth.authenticate(secret)).rejects.toEqual(unauthorized);
  });

  it("creates exactly one first admin even when two setups race", async () => {
    const fresh = await openDatabase();
    try {
      const setup = new Authenticator(fresh.db, SECRET, 3600);
      const results = await Promise.allSettled([
        setup.createFirstAdmin("a@example.com", "first-password-1"),
        setup.createFirstAdmin("b@example.com", "second-password-1"),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
      const refused = results.find((r) => r.status === "rejected");
      expect(refused?.status === "rejected" ? refused.reason : undefined).toMatchObject({ code: ErrorCode.FORBIDDEN });
    } finally {
      await fresh.close();
    }
  });

  it("reads only a Bearer credential from the Authorization header", () => {
    expect(Authenticator.bearer("Bearer abc.def")).toBe("abc.def");
    expect(Authenticator.bearer("bearer  xyz")).toBe("xyz");
    expect(Authenticator.bearer("Basic abc")).toBeUndefined();
    expect(Authenticator.bearer(undefined)).toBeUndefined();
  });
});
