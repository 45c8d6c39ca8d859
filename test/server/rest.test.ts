// The REST routes of threads, messages and runs over a real server (PGlite always, PostgreSQL when DATABASE_URL is set):
// each route does its job for the owner, and answers a second user exactly as it answers an id that does not exist.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { MessageRepository } from "../../src/store/messages.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { post, startSignedIn, type Reply, type TestServer } from "./test-server.ts";

const ALICE = { email: "alice@example.com", password: "alice-password-1" };
const MALLORY = { email: "mallory@example.com", password: "mallory-password-1" };
const MISSING = "00000000-0000-4000-8000-000000000000";

async function call(method: string, url: string, token: string | undefined, body?: unknown): Promise<Reply> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

const path = (route: string, ids: { thread_id?: string; run_id?: string }) =>
  route.replace(":thread_id", ids.thread_id ?? "").replace(":run_id", ids.run_id ?? "");

describe.each(storeTargets())("the REST routes on $name", (target) => {
  let server: TestServer;
  let url = "";
  let alice = { id: "", token: "" };
  let mallory = { id: "", token: "" };

  beforeAll(async () => {
    const signedIn = await startSignedIn(target, ALICE);
    server = signedIn.server;
    url = server.url;
    alice = { id: signedIn.userId, token: signedIn.token };
    const malloryId = (await server.app.auth.createUser(MALLORY.email, MALLORY.password)).id;
    mallory = { id: malloryId, token: String((await post(url + RoutePath.AUTH_LOGIN, MALLORY)).body.token) };
  });

  afterAll(async () => {
    await server.stop();
  });

  const newThread = async (title?: string): Promise<string> => {
    const created = await call("POST", url + RoutePath.THREADS, alice.token, title === undefined ? {} : { title });
    expect(created.status).toBe(201);
    return String((created.body.thread as { id: string }).id);
  };

  it("creates, lists, renames and deletes a thread", async () => {
    const untitled = await call("POST", url + RoutePath.THREADS, alice.token);
    expect(untitled.status).toBe(201);
    expect(untitled.body.thread).toMatchObject({ title: "New conversation", id: expect.any(String), created_at: expect.any(String) });
    const id = await newThread("  Q3 spend  ");
    const listed = await call("GET", url + RoutePath.THREADS, alice.token);
    expect((listed.body.threads as { id: string; title: string }[]).find((t) => t.id === id)?.title).toBe("Q3 spend");

    const renamed = await call("PATCH", url + path(RoutePath.THREAD, { thread_id: id }), alice.token, { title: "Q4 spend" });
    expect(renamed.status).toBe(200);
    expect(renamed.body.thread).toMatchObject({ id, title: "Q4 spend" });

    const deleted = await call("DELETE", url + path(RoutePath.THREAD, { thread_id: id }), alice.token);
    expect(deleted.status).toBe(204);
    const after = await call("GET", url + RoutePath.THREADS, alice.token);
    expect((after.body.threads as { id: string }[]).some((t) => t.id === id)).toBe(false);
    expect((await call("DELETE", url + path(RoutePath.THREAD, { thread_id: id }), alice.token)).status).toBe(404);
  });

  it("refuses bad titles with 400 invalid_request and drops fields it does not know", async () => {
    const id = await newThread("kept");
    for (const body of [{ title: "" }, { title: "x".repeat(201) }, {}, { name: "no title" }]) {
      const reply = await call("PATCH", url + path(RoutePath.THREAD, { thread_id: id }), alice.token, body);
      expect(reply.status).toBe(400);
      expect((reply.body.error as { code: string }).code).toBe(ErrorCode.INVALID_REQUEST);
    }
    const blank = await call("PATCH", url + path(RoutePath.THREAD, { thread_id: id }), alice.token, { title: "   " });
    expect(blank.status).toBe(400);
    expect((await call("POST", url + RoutePath.THREADS, alice.token, { title: "" })).status).toBe(400);
    // fastify strips unknown properties (removeAdditional): an owner_id in the body cannot move the thread
    const smuggled = await call("PATCH", url + path(RoutePath.THREAD, { thread_id: id }), alice.token, { title: "ok", owner_id: mallory.id });
    expect(smuggled.status).toBe(200);
    expect((await call("GET", url + path(RoutePath.THREAD_RUNS, { thread_id: id }), mallory.token)).status).toBe(404);
    expect((await call("GET", url + path(RoutePath.THREAD_RUNS, { thread_id: id }), alice.token)).status).toBe(200);
  });

  it("pages a thread's messages oldest first with a cursor to the next page", async () => {
    const id = await newThread("paged");
    const messages = new MessageRepository(server.app.database.db);
    for (let i = 0; i < 7; i += 1) await messages.append(alice.id, { threadId: id, role: i % 2 === 0 ? "user" : "assistant", content: `m${i}` });
    const seen: string[] = [];
    let after: number | null = null;
    let pages = 0;
    do {
      const query: string = after === null ? "?limit=3" : `?limit=3&after=${after}`;
      const page = await call("GET", url + path(RoutePath.THREAD_MESSAGES, { thread_id: id }) + query, alice.token);
      expect(page.status).toBe(200);
      seen.push(...(page.body.messages as { content: string }[]).map((m) => m.content));
      after = page.body.next_after as number | null;
      pages += 1;
    } while (after !== null && pages < 10);
    expect(seen).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6"]);
    expect(pages).toBe(3);
    const first = await call("GET", url + path(RoutePath.THREAD_MESSAGES, { thread_id: id }), alice.token);
    expect((first.body.messages as unknown[]).length).toBe(7);
    expect(first.body.next_after).toBeNull();
    expect((await call("GET", url + path(RoutePath.THREAD_MESSAGES, { thread_id: id }) + "?limit=0", alice.token)).status).toBe(400);
    expect((await call("GET", url + path(RoutePath.THREAD_MESSAGES, { thread_id: id }) + "?limit=501", alice.token)).status).toBe(400);
  });

  it("lists a thread's runs, shows a run's status, timestamps and error, and refuses to delete a thread with a run in flight", async () => {
    const id = await newThread("with runs");
    const runs = new RunRepository(server.app.database.db);
    const done = await runs.create({ ownerId: alice.id, threadId: id, request: "first", nodeId: "test-node", leaseMs: 60_000 });
    await runs.markStarted(alice.id, done.id);
    await runs.markFailed(alice.id, done.id, { code: ErrorCode.LLM_UNAVAILABLE, message: "The model is down; try again later." });
    const open = await runs.create({ ownerId: alice.id, threadId: id, request: "second", nodeId: "test-node", leaseMs: 60_000 });

    const listed = await call("GET", url + path(RoutePath.THREAD_RUNS, { thread_id: id }), alice.token);
    expect(listed.status).toBe(200);
    expect((listed.body.runs as { id: string }[]).map((r) => r.id)).toEqual([done.id, open.id]);

    const failed = await call("GET", url + path(RoutePath.RUN, { run_id: done.id }), alice.token);
    expect(failed.status).toBe(200);
    expect(failed.body.run).toMatchObject({
      id: done.id,
      thread_id: id,
      status: "failed",
      started_at: expect.any(String),
      ended_at: expect.any(String),
      error: { code: ErrorCode.LLM_UNAVAILABLE },
    });
    expect((await call("GET", url + path(RoutePath.RUN, { run_id: open.id }), alice.token)).body.run).toMatchObject({ status: "queued", ended_at: null, error: null });

    const busy = await call("DELETE", url + path(RoutePath.THREAD, { thread_id: id }), alice.token);
    expect(busy.status).toBe(409);
    expect(busy.body.error).toMatchObject({ code: ErrorCode.THREAD_BUSY, message: expect.stringContaining(open.id) });
    expect((await call("GET", url + path(RoutePath.THREAD_RUNS, { thread_id: id }), alice.token)).status).toBe(200);

    await runs.markCancelled(alice.id, open.id);
    expect((await call("DELETE", url + path(RoutePath.THREAD, { thread_id: id }), alice.token)).status).toBe(204);
    expect((await call("GET", url + path(RoutePath.RUN, { run_id: done.id }), alice.token)).status).toBe(404);
  });

  it("answers another user on every route exactly as for an id that does not exist, and changes nothing", async () => {
    const threadId = await newThread("alice only");
    await new MessageRepository(server.app.database.db).append(alice.id, { threadId, role: "user", content: "secret" });
    const run = await new RunRepository(server.app.database.db).create({ ownerId: alice.id, threadId, request: "secret", nodeId: "n", leaseMs: 60_000 });
    const routes: [string, string, unknown?][] = [
      ["GET", RoutePath.RUN],
      ["GET", RoutePath.RUN_EVENTS],
      ["GET", RoutePath.THREAD_MESSAGES],
      ["GET", RoutePath.THREAD_RUNS],
      ["PATCH", RoutePath.THREAD, { title: "mine now" }],
      ["DELETE", RoutePath.THREAD],
    ];
    for (const [method, route, body] of routes) {
      const theirs = await call(method, url + path(route, { thread_id: threadId, run_id: run.id }), mallory.token, body);
      const missing = await call(method, url + path(route, { thread_id: MISSING, run_id: MISSING }), mallory.token, body);
      expect(theirs.status, `${method} ${route}`).toBe(404);
      expect((theirs.body.error as { code: string }).code).toBe(ErrorCode.NOT_FOUND);
      const anonymised = JSON.stringify(theirs.body).replaceAll(threadId, MISSING).replaceAll(run.id, MISSING);
      expect(anonymised, `${method} ${route}`).toBe(JSON.stringify(missing.body));
      expect(JSON.stringify(theirs.body)).not.toContain("secret");
      expect((await call(method, url + path(route, { thread_id: threadId, run_id: run.id }), undefined, body)).status).toBe(401);
    }
    const theirList = await call("GET", url + RoutePath.THREADS, mallory.token);
    expect((theirList.body.threads as { id: string }[]).some((t) => t.id === threadId)).toBe(false);
    const still = await call("GET", url + path(RoutePath.THREAD_MESSAGES, { thread_id: threadId }), alice.token);
    expect((still.body.messages as { content: string }[]).map((m) => m.content)).toEqual(["secret"]);
    const listed = await call("GET", url + RoutePath.THREADS, alice.token);
    expect((listed.body.threads as { id: string; title: string }[]).find((t) => t.id === threadId)?.title).toBe("alice only");
  });

  it("requires a signed-in caller to list or create threads", async () => {
    expect((await call("GET", url + RoutePath.THREADS, undefined)).status).toBe(401);
    expect((await call("POST", url + RoutePath.THREADS, undefined, { title: "x" })).status).toBe(401);
    expect((await call("POST", url + RoutePath.THREADS, "not-a-token", { title: "x" })).status).toBe(401);
  });
});
