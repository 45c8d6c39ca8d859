// Account administration and the audit log over HTTP on a real server (PGlite always, PostgreSQL when DATABASE_URL is
// set): admins list accounts, change role and tier, disable (login, tokens and API keys refused at once), reset API
// keys; the last enabled admin stays one; non-admins get 403 on every admin route, and every action and refusal is in
// the audit log, which admins page through and export (JSONL, CSV) without secrets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlFrame, ErrorCode, Role, RoutePath, Tier } from "../../src/protocol/names.ts";
import { AuditAction } from "../../src/server/audit-actions.ts";
import { ApiKeyRepository } from "../../src/store/api-keys.ts";
import { AuditOutcome } from "../../src/store/audit-log.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { auditLog } from "../../src/store/schema.ts";
import { get, patch, post, startServer, type Reply, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const ROOT = { email: "root@example.com", password: "root-password-1" };
const CAROL = { email: "carol@example.com", password: "carol-password-1" };
const DAVE = { email: "dave@example.com", password: "dave-password-1" };
const EVE = { email: "eve@example.com", password: "eve-password-1" };
const PLANTED_SECRET = "planted-secret-value-1";

interface AdminUser {
  id: string;
  email: string;
  role: string;
  tier: string;
  disabled: boolean;
  disabled_at: string | null;
  created_at: string;
  last_activity_at: string | null;
}
interface Entry {
  id: number;
  actor_email: string;
  action: string;
  target: string | null;
  outcome: string;
  params: Record<string, unknown>;
}

const codeOf = (reply: Reply) => (reply.body.error as { code: string } | undefined)?.code;
const userPath = (route: string, id: string) => route.replace(":user_id", encodeURIComponent(id));

describe.each(storeTargets())("account administration on $name", (target) => {
  let server: TestServer;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  const login = (user: { email: string; password: string }) => post(server.url + RoutePath.AUTH_LOGIN, user);
  const auditOf = async (query: string): Promise<Entry[]> => {
    const reply = await get(`${server.url}${RoutePath.AUDIT}?${query}`, tokens.root);
    expect(reply.status).toBe(200);
    return reply.body.entries as Entry[];
  };

  beforeAll(async () => {
    server = await startServer(target);
    for (const [name, user, role] of [["root", ROOT, Role.ADMIN], ["carol", CAROL, Role.USER], ["dave", DAVE, Role.USER], ["eve", EVE, Role.USER]] as const) {
      ids[name] = (await server.app.auth.createUser(user.email, user.password, role)).id;
      tokens[name] = String((await login(user)).body.token);
    }
  });
  afterAll(async () => {
    await server.stop();
  });

  it("lists every account with role, tier, disabled, created and last activity", async () => {
    const keys = new ApiKeyRepository(server.app.database.db);
    const { secret } = await keys.create(ids.carol!, "laptop");
    expect((await get(server.url + RoutePath.ME, secret)).status).toBe(200); // a key used: carol has activity now

    const listed = await get(server.url + RoutePath.ADMIN_USERS, tokens.root);
    expect(listed.status).toBe(200);
    const users = listed.body.users as AdminUser[];
    expect(users.map((u) => u.email)).toEqual([ROOT.email, CAROL.email, DAVE.email, EVE.email]);
    const carol = users.find((u) => u.email === CAROL.email)!;
    expect(carol).toEqual({
      id: ids.carol,
      email: CAROL.email,
      role: Role.USER,
      tier: Tier.FREE,
      disabled: false,
      disabled_at: null,
      created_at: expect.any(String),
      last_activity_at: expect.any(String),
    });
    expect(users.find((u) => u.email === DAVE.email)?.last_activity_at).toBeNull();
    expect(JSON.stringify(listed.body)).not.toMatch(/password|hash/i);
  });

  it("changes role and tier, and audits who changed what from what", async () => {
    const changed = await patch(userPath(server.url + RoutePath.ADMIN_USER, ids.carol!), { tier: Tier.PRO }, tokens.root);
    expect(changed.status).toBe(200);
    expect(changed.body.user).toMatchObject({ id: ids.carol, tier: Tier.PRO, role: Role.USER, last_activity_at: expect.any(String) });
    // The change takes effect on the next request (the account is read on each).
    expect((await get(server.url + RoutePath.ME, tokens.carol)).body).toMatchObject({ tier: Tier.PRO });

    const [entry] = await auditOf(`action=${AuditAction.USER_UPDATE}`);
    expect(entry).toMatchObject({
      actor_email: ROOT.email,
      action: AuditAction.USER_UPDATE,
      target: ids.carol,
      outcome: AuditOutcome.OK,
      params: { email: CAROL.email, change: { tier: Tier.PRO }, before: { role: Role.USER, tier: Tier.FREE, disabled: false } },
    });

    const bad = await patch(userPath(server.url + RoutePath.ADMIN_USER, ids.carol!), { tier: "platinum" }, tokens.root);
    expect(bad.status).toBe(400);
    expect((await patch(userPath(server.url + RoutePath.ADMIN_USER, ids.carol!), {}, tokens.root)).status).toBe(400);
    const missing = await patch(userPath(server.url + RoutePath.ADMIN_USER, "no-such-user"), { tier: Tier.PRO }, tokens.root);
    expect(missing.status).toBe(404);
    expect(codeOf(missing)).toBe(ErrorCode.NOT_FOUND);
  });

  it("disables an account: login, its session tokens and its API keys are refused at once; enabling restores them", async () => {
    const { secret } = await new ApiKeyRepository(server.app.database.db).create(ids.dave!, "ci");
    expect((await get(server.url + RoutePath.ME, secret)).status).toBe(200);
    const socket = TestClient.open(server.url, tokens.dave);
    await socket.next((f) => f.type === ControlFrame.WELCOME);

    const disabled = await patch(userPath(server.url + RoutePath.ADMIN_USER, ids.dave!), { disabled: true }, tokens.root);
    expect(disabled.status).toBe(200);
    expect(disabled.body.user).toMatchObject({ disabled: true, disabled_at: expect.any(String) });
    for (const credential of [tokens.dave, secret]) {
      const refused = await get(server.url + RoutePath.ME, credential);
      expect(refused.status).toBe(401);
      expect((refused.body.error as { message: string }).message).toMatch(/disabled/);
    }
    const signIn = await login(DAVE);
    expect(signIn.status).toBe(401);
    expect((signIn.body.error as { message: string }).message).toMatch(/disabled/);
    // A socket opened before is closed, signed out (test/server/account-sockets.test.ts covers commands racing it).
    expect(await socket.closed).toMatchObject({ code: 1008, reason: expect.stringMatching(/^Signed out: .*disabled/) });
    expect((await login({ ...DAVE, password: "wrong-password-1" })).body.error).toMatchObject({ message: expect.not.stringMatching(/disabled/) });

    const enabled = await patch(userPath(server.url + RoutePath.ADMIN_USER, ids.dave!), { disabled: false }, tokens.root);
    expect(enabled.body.user).toMatchObject({ disabled: false, disabled_at: null });
    expect((await login(DAVE)).status).toBe(200);
    expect((await get(server.url + RoutePath.ME, secret)).status).toBe(200);

    expect((await auditOf(`action=${AuditAction.USER_DISABLE}`)).map((e) => e.target)).toEqual([ids.dave]);
    expect((await auditOf(`action=${AuditAction.USER_ENABLE}`)).map((e) => e.target)).toEqual([ids.dave]);
  });

  it("resets API keys: every key revoked, one new key shown once, and no secret in the audit log", async () => {
    const keys = new ApiKeyRepository(server.app.database.db);
    const old = [await keys.create(ids.eve!, "one"), await keys.create(ids.eve!, "two")];
    const reset = await post(userPath(server.url + RoutePath.ADMIN_USER_API_KEYS, EVE.email), { new_key_name: "rotated" }, tokens.root);
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ user_id: ids.eve, revoked: 2, api_key: { name: "rotated", secret: expect.stringMatching(/^apex_/) } });
    const secret = (reset.body.api_key as { secret: string }).secret;
    for (const { secret: revoked } of old) expect((await get(server.url + RoutePath.ME, revoked)).status).toBe(401);
    expect((await get(server.url + RoutePath.ME, secret)).body).toMatchObject({ email: EVE.email });

    const again = await post(userPath(server.url + RoutePath.ADMIN_USER_API_KEYS, ids.eve!), {}, tokens.root);
    expect(again.body).toEqual({ user_id: ids.eve, revoked: 1 });
    expect((await get(server.url + RoutePath.ME, secret)).status).toBe(401);

    const entries = await auditOf(`action=${AuditAction.USER_API_KEYS_RESET}`);
    expect(entries.map((e) => e.params.revoked)).toEqual([1, 2]); // newest first
    expect(entries[1]).toMatchObject({ actor_email: ROOT.email, target: ids.eve, params: { new_key_name: "rotated", new_key_id: expect.any(String) } });
    expect(JSON.stringify(entries)).not.toContain(secret);
  });

  it("answers 403 to a non-admin on every admin route, 401 without a token, and audits each refusal", async () => {
    const attempts: [string, () => Promise<Reply>][] = [
      [AuditAction.USER_LIST, () => get(server.url + RoutePath.ADMIN_USERS, tokens.eve)],
      [AuditAction.USER_UPDATE, () => patch(userPath(server.url + RoutePath.ADMIN_USER, ids.eve!), { role: Role.ADMIN }, tokens.eve)],
      [AuditAction.USER_DISABLE, () => patch(userPath(server.url + RoutePath.ADMIN_USER, ids.root!), { disabled: true }, tokens.eve)],
      [AuditAction.USER_API_KEYS_RESET, () => post(userPath(server.url + RoutePath.ADMIN_USER_API_KEYS, ids.root!), {}, tokens.eve)],
      [AuditAction.AUDIT_QUERY, () => get(server.url + RoutePath.AUDIT, tokens.eve)],
      [AuditAction.AUDIT_EXPORT, () => get(server.url + RoutePath.AUDIT_EXPORT, tokens.eve)],
    ];
    for (const [action, attempt] of attempts) {
      const refused = await attempt();
      expect(refused.status, action).toBe(403);
      expect(codeOf(refused)).toBe(ErrorCode.FORBIDDEN);
    }
    expect((await get(server.url + RoutePath.ADMIN_USERS)).status).toBe(401);
    expect((await get(server.url + RoutePath.ME, tokens.eve)).body).toMatchObject({ role: Role.USER }); // nothing changed

    const denied = await auditOf(`actor=${encodeURIComponent(EVE.email)}`);
    expect(denied.map((e) => e.action).reverse()).toEqual(attempts.map(([action]) => action));
    expect(denied.every((e) => e.outcome === AuditOutcome.DENIED && e.actor_email === EVE.email)).toBe(true);
    expect(denied.find((e) => e.action === AuditAction.USER_UPDATE)).toMatchObject({ target: ids.eve, params: { role: Role.ADMIN } });
  });

  it("pages through the audit log newest first and filters it by actor, action and time", async () => {
    const all = await auditOf("limit=1000");
    expect(all.length).toBeGreaterThan(4);
    const first = await get(`${server.url}${RoutePath.AUDIT}?limit=3`, tokens.root);
    const second = await get(`${server.url}${RoutePath.AUDIT}?limit=3&cursor=${String(first.body.next_cursor)}`, tokens.root);
    expect([...(first.body.entries as Entry[]), ...(second.body.entries as Entry[])].map((e) => e.id)).toEqual(all.slice(0, 6).map((e) => e.id));
    const tail = await get(`${server.url}${RoutePath.AUDIT}?limit=1000`, tokens.root);
    expect(tail.body.next_cursor).toBeNull();

    expect((await auditOf(`actor=${ids.root}`)).every((e) => e.actor_email === ROOT.email)).toBe(true);
    expect(await auditOf(`actor=nobody%40example.com`)).toEqual([]);
    expect(await auditOf(`from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).toEqual([]);
    expect((await auditOf(`to=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}&limit=1000`)).length).toBe(all.length);
    expect((await get(`${server.url}${RoutePath.AUDIT}?from=yesterday`, tokens.root)).status).toBe(400);
  });

  it("exports the log oldest first as JSONL and CSV, with secrets stripped even from a raw row", async () => {
    await server.app.database.db.insert(auditLog).values({
      actorId: ids.root!,
      actorEmail: ROOT.email,
      action: AuditAction.USER_UPDATE,
      target: "=cmd|' /C calc'!A0",
      params: { password: PLANTED_SECRET, nested: { api_key: PLANTED_SECRET } },
      outcome: AuditOutcome.OK,
    });
    const jsonl = await fetch(`${server.url}${RoutePath.AUDIT_EXPORT}?format=jsonl`, { headers: { authorization: `Bearer ${tokens.root}` } });
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get("content-type")).toMatch(/x-ndjson/);
    const text = await jsonl.text();
    expect(text).not.toContain(PLANTED_SECRET);
    const rows = text.trimEnd().split("\n").map((line) => JSON.parse(line) as Entry);
    expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => a - b));
    expect(rows.at(-1)).toMatchObject({ action: AuditAction.AUDIT_EXPORT, actor_email: ROOT.email }); // the export is audited too

    const csv = await fetch(`${server.url}${RoutePath.AUDIT_EXPORT}?format=csv&action=${AuditAction.USER_UPDATE}`, { headers: { authorization: `Bearer ${tokens.root}` } });
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    const lines = (await csv.text()).trimEnd().split("\n");
    expect(lines[0]).toBe("id,at,actor_id,actor_email,action,target,outcome,params");
    expect(lines).toHaveLength(1 + rows.filter((r) => r.action === AuditAction.USER_UPDATE).length);
    expect(lines.join("\n")).not.toContain(PLANTED_SECRET);
    expect(lines.at(-1)).toContain(",'=cmd"); // a formula is defused
  });

  it("keeps the last enabled admin: no self-demotion or self-disable while alone, allowed once another admin exists", async () => {
    for (const change of [{ role: Role.USER }, { disabled: true }]) {
      const refused = await patch(userPath(server.url + RoutePath.ADMIN_USER, ids.root!), change, tokens.root);
      expect(refused.status).toBe(409);
      expect(codeOf(refused)).toBe(ErrorCode.LAST_ADMIN);
      expect((refused.body.error as { message: string }).message).toMatch(/last enabled admin/);
    }
    expect((await patch(userPath(server.url + RoutePath.ADMIN_USER, ids.carol!), { role: Role.ADMIN }, tokens.root)).status).toBe(200);
    expect((await patch(userPath(server.url + RoutePath.ADMIN_USER, ids.root!), { role: Role.USER }, tokens.root)).status).toBe(200);
    // Root's token now carries a user: the next admin call is refused.
    expect((await get(server.url + RoutePath.ADMIN_USERS, tokens.root)).status).toBe(403);
    const alone = await patch(userPath(server.url + RoutePath.ADMIN_USER, ids.carol!), { disabled: true }, tokens.carol);
    expect(codeOf(alone)).toBe(ErrorCode.LAST_ADMIN);
  });
});
