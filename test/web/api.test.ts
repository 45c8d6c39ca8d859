// The UI's REST client against a real server: first-run setup, sign-in, the threads it manages, demo data and the
// usage summary; failures arrive as ApexError with the server's code, and a 401 also reaches the app's handler.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApexError } from "../../src/protocol/errors.ts";
import { ErrorCode, Role } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { ApiClient } from "../../src/web/api.ts";
import { startServer, type TestServer } from "../server/test-server.ts";

const ADMIN = { email: "first@example.com", password: "first-password-1" };

describe.each(storeTargets())("the web REST client on $name", (target) => {
  let server: TestServer;
  let token: string | null = null;
  const unauthorized: ApexError[] = [];
  let api: ApiClient;

  beforeAll(async () => {
    server = await startServer(target);
    api = new ApiClient({ baseUrl: server.url, token: () => token, onUnauthorized: (error) => unauthorized.push(error) });
  });

  afterAll(async () => {
    await server.stop();
  });

  it("sets up the first admin once, then signs in", async () => {
    expect(await api.setupRequired()).toBe(true);
    const issued = await api.setup(ADMIN.email, ADMIN.password);
    expect(Date.parse(issued.expires_at)).toBeGreaterThan(Date.now());
    expect(await api.setupRequired()).toBe(false);
    await expect(api.setup("second@example.com", "second-password-1")).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN, details: { status: 403 } });
    token = (await api.login(ADMIN.email, ADMIN.password)).token;
    expect(await api.me()).toMatchObject({ email: ADMIN.email, role: Role.ADMIN });
  });

  it("creates, renames, lists and deletes threads", async () => {
    const created = await api.createThread();
    const renamed = await api.renameThread(created.id, "Costs in November");
    expect(renamed.title).toBe("Costs in November");
    expect((await api.threads()).map((t) => [t.id, t.title])).toEqual([[created.id, "Costs in November"]]);
    expect(await api.messages(created.id)).toEqual([]);
    expect(await api.threadRuns(created.id)).toEqual([]);
    await api.deleteThread(created.id);
    expect(await api.threads()).toEqual([]);
    await expect(api.renameThread(created.id, "gone")).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
  });

  it("loads demo data that the usage summary then shows", async () => {
    expect((await api.usageSummary()).records).toBe(0);
    const summary = await api.loadDemo(500);
    expect(summary).toMatchObject({ ingested: 500, rejected: 0 });
    const usage = await api.usageSummary();
    expect(usage.records).toBe(500);
    expect(usage.models.length).toBeGreaterThan(0);
  });

  it("turns a refused token into an ApexError and tells the app", async () => {
    const saved = token;
    token = "not-a-token";
    const failure = await api.threads().catch((error: unknown) => error);
    token = saved;
    expect(failure).toBeInstanceOf(ApexError);
    expect(failure).toMatchObject({ code: ErrorCode.UNAUTHORIZED, details: { status: 401 } });
    expect(unauthorized.map((e) => e.code)).toEqual([ErrorCode.UNAUTHORIZED]);
  });
});
