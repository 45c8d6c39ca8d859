// A NUL character cannot be stored by PostgreSQL: every route and command that takes an id or a payload refuses it as
// a bad request, never as an internal error (issue 13, finding 9: audit filters, catalog and admin user ids, thread
// titles, the AG-UI threadId and the login email answered 500).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientCommand, ControlFrame, Decision, ErrorCode, Role, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { get, patch, post, startSignedIn, type Reply, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const USER = { email: "nul@example.com", password: "nul-password-12" };
const ADMIN = { email: "nul-admin@example.com", password: "nul-admin-password-12" };
const BAD_ID = "a\u0000b";
const encoded = encodeURIComponent(BAD_ID);

function expectRefused(reply: Reply, what: string): void {
  expect(reply.status, what).toBe(400);
  expect(reply.body.error, what).toMatchObject({ code: ErrorCode.INVALID_REQUEST });
}

describe.each(storeTargets())("NUL in input on $name", (target) => {
  let server: TestServer;
  let token = "";
  let adminToken = "";

  beforeAll(async () => {
    ({ server, token } = await startSignedIn(target, USER));
    await server.app.auth.createUser(ADMIN.email, ADMIN.password, Role.ADMIN);
    adminToken = String((await post(server.url + RoutePath.AUTH_LOGIN, ADMIN)).body.token);
  });

  afterAll(async () => {
    await server.stop();
  });

  it("answers 400 invalid_request on every id route", async () => {
    for (const route of [RoutePath.RUN, RoutePath.RUN_EVENTS]) {
      const reply = await get(server.url + route.replace(":run_id", encoded), token);
      expect(reply.status, route).toBe(400);
      expect(reply.body.error).toMatchObject({ code: ErrorCode.INVALID_REQUEST });
    }
    for (const route of [RoutePath.THREAD_RUNS, RoutePath.THREAD_MESSAGES]) {
      const reply = await get(server.url + route.replace(":thread_id", encoded), token);
      expect(reply.status, route).toBe(400);
    }
    const job = await get(server.url + RoutePath.SYNTHETIC_JOB.replace(":job_id", encoded), token);
    expect(job.status).toBe(400);
    expect(job.body.error).toMatchObject({ code: ErrorCode.INVALID_REQUEST });
  });

  it("refuses it in the audit log's filters", async () => {
    for (const route of [RoutePath.AUDIT, RoutePath.AUDIT_EXPORT]) {
      for (const filter of ["actor", "action"]) expectRefused(await get(`${server.url}${route}?${filter}=${encoded}`, adminToken), `${route} ${filter}`);
    }
  });

  it("refuses it as the user_id of the catalog and of account administration", async () => {
    expectRefused(await get(`${server.url}${RoutePath.CATALOG_VERSIONS}?scope=tenant&user_id=${encoded}`, adminToken), "catalog user_id");
    const user = server.url + RoutePath.ADMIN_USER.replace(":user_id", encoded);
    expectRefused(await patch(user, { disabled: true }, adminToken), "PATCH admin user");
    expectRefused(await post(server.url + RoutePath.ADMIN_USER_API_KEYS.replace(":user_id", encoded), {}, adminToken), "reset api keys");
  });

  it("refuses it in a thread title, created or renamed", async () => {
    expectRefused(await post(server.url + RoutePath.THREADS, { title: BAD_ID }, token), "new thread");
    const created = await post(server.url + RoutePath.THREADS, { title: "fine" }, token);
    const id = (created.body.thread as { id: string }).id;
    expectRefused(await patch(server.url + RoutePath.THREAD.replace(":thread_id", id), { title: BAD_ID }, token), "rename");
  });

  it("refuses it as the AG-UI threadId, anywhere in the body", async () => {
    const input = { threadId: BAD_ID, runId: "r", state: {}, messages: [{ id: "m", role: "user", content: "cost by model" }], tools: [], context: [], forwardedProps: {} };
    expectRefused(await post(server.url + RoutePath.AGUI, input, token), "threadId");
    const nested = { ...input, threadId: "t", messages: [{ id: "m", role: "user", content: "cost\u0000 by model" }] };
    expectRefused(await post(server.url + RoutePath.AGUI, nested, token), "message content");
  });

  it("refuses it in the login email, and says where it was", async () => {
    const reply = await post(server.url + RoutePath.AUTH_LOGIN, { email: `nul${BAD_ID}@example.com`, password: USER.password });
    expectRefused(reply, "login email");
    expect((reply.body.error as { message: string }).message).toContain("body.email");
  });

  it("refuses a respond payload holding a NUL as an invalid command", async () => {
    const client = TestClient.open(server.url, token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    client.send({ type: ClientCommand.RESPOND, id: "r", interrupt_id: "q", decision: Decision.APPROVE, payload: { note: "x\u0000y" } });
    expect(await client.next((f) => f.id === "r")).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.INVALID_COMMAND });
    client.socket.terminate();
  });
});
