import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, Role } from "../protocol/names.ts";
import { ApiKeyRepository } from "../store/api-keys.ts";
import { openDatabase, type Database } from "../store/database.ts";
import { Authenticator, hashPassword } from "./auth.ts";
import { LoginThrottle } from "./login-throttle.ts";

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

  it("refuses a well-signed token without exp, without iat, or issued longer ago than the TTL", async () => {
    const user = await auth.createUser("noexp@example.com", "noexp-password-1");
    const key = new TextEncoder().encode(SECRET);
    const signed = (build: (jwt: SignJWT) => SignJWT) => build(new SignJWT({ role: Role.USER }).setProtectedHeader({ alg: "HS256" }).setSubject(user.id)).sign(key);
    const forever = await signed((jwt) => jwt.setIssuedAt());
    await expect(auth.authenticate(forever)).rejects.toEqual(unauthorized);
    await expect(auth.authenticate(await signed((jwt) => jwt.setExpirationTime("1h")))).rejects.toEqual(unauthorized);
    const now = Math.floor(Date.now() / 1000);
    const farExp = await signed((jwt) => jwt.setIssuedAt(now - 7200).setExpirationTime(now + 86_400));
    await expect(auth.authenticate(farExp)).rejects.toEqual(unauthorized);
    const notYet = await signed((jwt) => jwt.setIssuedAt().setExpirationTime("1h").setNotBefore(now + 600));
    await expect(auth.authenticate(notYet)).rejects.toEqual(unauthorized);
    expect(await auth.authenticate(await signed((jwt) => jwt.setIssuedAt().setExpirationTime("1h")))).toEqual(user);
  });

  it("refuses weak passwords when creating any account, the first admin and `apex user create` alike", async () => {
    const weak = expect.objectContaining({ code: ErrorCode.WEAK_PASSWORD });
    for (const password of [" ".repeat(10), " ".repeat(14), "password12", "password1234", "Password1234!", "qwertyuiop12", "aaaaaaaaaaaaaa", "short-pw"]) {
      await expect(auth.createUser("weak@example.com", password)).rejects.toEqual(weak);
      await expect(hashPassword(password)).rejects.toEqual(weak);
    }
    const fresh = await openDatabase();
    try {
      await expect(new Authenticator(fresh.db, SECRET, 3600).createFirstAdmin("first@example.com", "password12")).rejects.toEqual(weak);
    } finally {
      await fresh.close();
    }
  });

  it("throttles failed sign-ins per account with a growing wait, and a correct password ends it", async () => {
    let now = 1_000_000;
    const throttled = new Authenticator(database.db, SECRET, 3600, { throttle: new LoginThrottle({ accountFailures: 3, now: () => now }) });
    await throttled.createUser("guessed@example.com", "guessed-password-1");
    for (let i = 0; i < 3; i += 1) await expect(throttled.login("guessed@example.com", "wrong-guess-0001", "10.0.0.1")).rejects.toEqual(unauthorized);
    const limited = expect.objectContaining({ code: ErrorCode.RATE_LIMITED, details: { retry_after_s: 1 } });
    // Blocked: even the right password waits, and the password is not checked at all.
    await expect(throttled.login("GUESSED@example.com", "guessed-password-1", "10.0.0.2")).rejects.toEqual(limited);
    now += 1000;
    await expect(throttled.login("guessed@example.com", "wrong-guess-0001", "10.0.0.1")).rejects.toEqual(unauthorized);
    await expect(throttled.login("guessed@example.com", "wrong-guess-0001", "10.0.0.1")).rejects.toEqual(
      expect.objectContaining({ code: ErrorCode.RATE_LIMITED, details: { retry_after_s: 2 } }),
    );
    now += 2000;
    expect((await throttled.login("guessed@example.com", "guessed-password-1", "10.0.0.1")).token).toEqual(expect.any(String));
    await expect(throttled.login("guessed@example.com", "wrong-guess-0001", "10.0.0.1")).rejects.toEqual(unauthorized);
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
