// Accounts over HTTP on a real server (PGlite always, PostgreSQL when DATABASE_URL is set): an admin creates accounts
// that can sign in, a user cannot, a taken email is 409; `GET /api/me` says who the token belongs to.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, Role, RoutePath, Tier } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { get, post, startServer, type Reply, type TestServer } from "./test-server.ts";

const ADMIN = { email: "root@example.com", password: "root-password-1" };
const CAROL = { email: "carol@example.com", password: "carol-password-1" };
const DAVE = { email: "dave@example.com", password: "dave-password-1" };
const codeOf = (reply: Reply) => (reply.body.error as { code: string } | undefined)?.code;

describe.each(storeTargets())("user routes on $name", (target) => {
  let server: TestServer;
  let adminToken = "";
  let userToken = "";

  beforeAll(async () => {
    server = await startServer(target);
    await server.app.auth.createUser(ADMIN.email, ADMIN.password, Role.ADMIN);
    await server.app.auth.createUser(CAROL.email, CAROL.password);
    adminToken = String((await post(server.url + RoutePath.AUTH_LOGIN, ADMIN)).body.token);
    userToken = String((await post(server.url + RoutePath.AUTH_LOGIN, CAROL)).body.token);
  });
  afterAll(async () => {
    await server.stop();
  });

  it("GET /api/me answers the caller's id, email, role and tier, and 401 without a token", async () => {
    const me = await get(server.url + RoutePath.ME, adminToken);
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: expect.any(String), email: ADMIN.email, role: Role.ADMIN, tier: Tier.FREE });
    expect((await get(server.url + RoutePath.ME, userToken)).body).toMatchObject({ email: CAROL.email, role: Role.USER });
    const anonymous = await get(server.url + RoutePath.ME);
    expect(anonymous.status).toBe(401);
    expect(codeOf(anonymous)).toBe(ErrorCode.UNAUTHORIZED);
  });

  it("lets an admin create an account that can sign in, and refuses a taken email with 409", async () => {
    const created = await post(server.url + RoutePath.USERS, DAVE, adminToken);
    expect(created.status).toBe(201);
    expect(created.body.user).toEqual({ id: expect.any(String), email: DAVE.email, role: Role.USER, tier: Tier.FREE });
    expect(JSON.stringify(created.body)).not.toContain(DAVE.password);

    const login = await post(server.url + RoutePath.AUTH_LOGIN, DAVE);
    expect(login.status).toBe(200);
    const me = await get(server.url + RoutePath.ME, String(login.body.token));
    expect(me.body).toMatchObject({ id: (created.body.user as { id: string }).id, email: DAVE.email, role: Role.USER });

    const again = await post(server.url + RoutePath.USERS, { email: "DAVE@example.com", password: "another-password-1" }, adminToken);
    expect(again.status).toBe(409);
    expect(codeOf(again)).toBe(ErrorCode.EMAIL_TAKEN);
  });

  it("creates an admin when asked, and checks the body", async () => {
    const created = await post(server.url + RoutePath.USERS, { email: "ops@example.com", password: "ops-password-1", role: Role.ADMIN }, adminToken);
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ role: Role.ADMIN });
    for (const password of ["short", " ".repeat(10), " ".repeat(12), "password12", "password1234", "qwertyuiop12"]) {
      const weak = await post(server.url + RoutePath.USERS, { email: "weak@example.com", password }, adminToken);
      expect(weak.status, JSON.stringify(password)).toBe(400);
      expect(codeOf(weak)).toBe(ErrorCode.WEAK_PASSWORD);
    }
    for (const body of [
      { email: "role@example.com", password: "role-password-1", role: "owner" },
      { email: "not-an-email", password: "valid-password-1" },
      { email: "no-password@example.com" },
    ]) {
      const refused = await post(server.url + RoutePath.USERS, body, adminToken);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(codeOf(refused)).toBe(ErrorCode.INVALID_REQUEST);
    }
  });

  it("refuses a user (403 forbidden) and an anonymous caller (401)", async () => {
    const asUser = await post(server.url + RoutePath.USERS, { email: "eve@example.com", password: "eve-password-1" }, userToken);
    expect(asUser.status).toBe(403);
    expect(codeOf(asUser)).toBe(ErrorCode.FORBIDDEN);
    const anonymous = await post(server.url + RoutePath.USERS, { email: "eve@example.com", password: "eve-password-1" });
    expect(anonymous.status).toBe(401);
    const eve = await post(server.url + RoutePath.AUTH_LOGIN, { email: "eve@example.com", password: "eve-password-1" });
    expect(eve.status).toBe(401);
  });
});
