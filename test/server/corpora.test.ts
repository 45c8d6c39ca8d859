// A user's corpora over REST on every store target: list, describe, rename, delete, export as JSONL (streamed) that
// reads back through the upload unchanged. Only the owner's: another user's corpus answers 404 like a missing one.
// The same operations from chat (Corpus Admin over a real socket), deleting only after the user approves.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentName, ClientCommand, ControlFrame, Decision, ErrorCode, EventType, RoutePath } from "../../src/protocol/names.ts";
import { AuditAction } from "../../src/server/audit-actions.ts";
import { AuditLogRepository } from "../../src/store/audit-log.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { get, post, startSignedIn, type TestServer } from "./test-server.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { loadUsage } from "./usage-fixture.ts";
import { TestClient, type Frame } from "./ws-client.ts";

const OWNER = { email: "corpora-owner@example.com", password: "owner-password-1" };
const OTHER = { email: "corpora-other@example.com", password: "other-password-1" };
const RECORDS = 600;

async function call(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe.each(storeTargets())("corpora over REST on $name", (target) => {
  let server: TestServer;
  let token = "";
  let otherToken = "";
  let ownerId = "";
  const corpusUrl = (corpus: string, path: string = RoutePath.CORPUS) => server.url + path.replace(":corpus", corpus);

  beforeAll(async () => {
    const signedIn = await startSignedIn(target, OWNER);
    ({ server, token, userId: ownerId } = signedIn);
    await server.app.auth.createUser(OTHER.email, OTHER.password);
    otherToken = String((await post(server.url + RoutePath.AUTH_LOGIN, OTHER)).body.token);
    expect(await loadUsage(server, ownerId, RECORDS)).toBe(RECORDS);
  });
  afterAll(() => server.stop());

  it("lists and describes the owner's corpora, and hides them from everyone else", async () => {
    const list = await get(server.url + RoutePath.CORPORA, token);
    expect(list.status).toBe(200);
    expect(list.body.corpora).toEqual([expect.objectContaining({ corpus: "default", records: RECORDS })]);
    expect((await get(server.url + RoutePath.CORPORA, otherToken)).body.corpora).toEqual([]);
    expect((await get(server.url + RoutePath.CORPORA)).status).toBe(401);

    const described = await get(corpusUrl("default"), token);
    expect(described.status).toBe(200);
    const corpus = described.body.corpus as { records: number; models: { name: string; records: number }[]; features: unknown[]; period: { days: number } };
    expect(corpus.records).toBe(RECORDS);
    expect(corpus.models.reduce((sum, m) => sum + m.records, 0)).toBe(RECORDS);
    expect(corpus.features.length).toBeGreaterThan(1);
    expect(corpus.period.days).toBeGreaterThan(1);

    for (const reply of [await get(corpusUrl("default"), otherToken), await get(corpusUrl("missing"), token)]) {
      expect(reply).toMatchObject({ status: 404, body: { error: { code: ErrorCode.NOT_FOUND } } });
    }
    expect((await get(corpusUrl("default", RoutePath.CORPUS_EXPORT), otherToken)).status).toBe(404);
  });

  it("exports canonical JSONL that the upload reads back into an identical corpus", async () => {
    const response = await fetch(corpusUrl("default", RoutePath.CORPUS_EXPORT), { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/x-ndjson");
    const text = await response.text();
    const lines = text.trim().split("\n");
    expect(lines).toHaveLength(RECORDS);
    const upload = await fetch(`${server.url}${RoutePath.USAGE}?corpus=copy&format=canonical`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: text });
    expect(upload.status).toBe(200);
    // The ids are the same, so within one owner every record is a duplicate: the copy goes to another account.
    expect(await upload.json()).toMatchObject({ ingested: 0, duplicates: RECORDS, rejected: 0 });
    const elsewhere = await fetch(`${server.url}${RoutePath.USAGE}?corpus=default&format=canonical`, { method: "POST", headers: { authorization: `Bearer ${otherToken}` }, body: text });
    expect(await elsewhere.json()).toMatchObject({ ingested: RECORDS, rejected: 0 });
    const mine = (await get(corpusUrl("default"), token)).body.corpus;
    const theirs = (await get(corpusUrl("default"), otherToken)).body.corpus;
    expect(theirs).toEqual(mine);
  });

  it("renames and deletes only the owner's corpus, audited", async () => {
    expect(await call("PATCH", corpusUrl("default"), token, { name: "bad name!" })).toMatchObject({ status: 400 });
    await server.app.usage.insert(ownerId, "taken", [{ id: "t1", timestamp: "2025-01-01T00:00:00Z", model: "gpt-4o", input_tokens: 1, output_tokens: 1, status: "success", num_requests: 1, computed_cost_usd: null, cost_mismatch: false }]);
    expect(await call("PATCH", corpusUrl("default"), token, { name: "taken" })).toMatchObject({ status: 409, body: { error: { code: ErrorCode.CORPUS_EXISTS } } });

    const renamed = await call("PATCH", corpusUrl("default"), token, { name: "march" });
    expect(renamed.status).toBe(200);
    expect(renamed.body.corpus).toMatchObject({ corpus: "march", records: RECORDS });
    expect((await get(corpusUrl("default"), token)).status).toBe(404);
    expect(await call("PATCH", corpusUrl("march"), otherToken, { name: "stolen" })).toMatchObject({ status: 404 });
    // The other account's own "default" is untouched.
    expect((await get(corpusUrl("default"), otherToken)).body.corpus).toMatchObject({ records: RECORDS });

    expect(await call("DELETE", corpusUrl("march"), otherToken)).toMatchObject({ status: 404 });
    expect(await call("DELETE", corpusUrl("march"), token)).toEqual({ status: 200, body: { corpus: "march", deleted_records: RECORDS } });
    expect(await call("DELETE", corpusUrl("march"), token)).toMatchObject({ status: 404 });
    expect(await server.app.usage.count({ owner: ownerId, corpus: "march" })).toBe(0);

    const audit = new AuditLogRepository(server.app.database.db);
    expect(await audit.query({ action: AuditAction.CORPUS_RENAME })).toEqual([
      expect.objectContaining({ actorId: ownerId, actorEmail: OWNER.email, target: "default", params: { name: "march", records: RECORDS }, outcome: "ok" }),
    ]);
    expect(await audit.query({ action: AuditAction.CORPUS_DELETE })).toEqual([
      expect.objectContaining({ actorId: ownerId, target: "march", params: { deleted_records: RECORDS }, outcome: "ok" }),
    ]);
  });

  it("describes, renames and deletes from chat, deleting only once approved; settings follow, audited like REST", async () => {
    await server.app.usage.insert(ownerId, "chat-set", [1, 2, 3].map((n) => ({ id: `chat-${n}`, timestamp: `2025-02-0${n}T00:00:00Z`, model: "gpt-4o", feature: "chat", input_tokens: 100, output_tokens: 10, status: "success" as const, num_requests: 1, computed_cost_usd: 0.01, cost_mismatch: false })));
    const client = TestClient.open(server.url, token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    let frameId = 0;
    const send = async (frame: Record<string, unknown>): Promise<Frame> => {
      const id = `c${++frameId}`;
      client.send({ ...frame, id });
      return client.next((f) => f.id === id && (f.type === ControlFrame.ACK || f.type === ControlFrame.ERROR));
    };
    const chat = async (text: string) => String((await send({ type: ClientCommand.USER_MESSAGE, text })).run_id);
    const reportOf = async (runId: string) => {
      const events = await client.runToEnd(runId);
      expect(checkRunInvariants(events)).toEqual([]);
      expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
      expect(events.flatMap((e) => (e.type === EventType.AGENT_STARTED ? [e.data.agent_name] : []))).toEqual([AgentName.TRIAGE, AgentName.CORPUS_ADMIN]);
      const final = events.find((e) => e.type === EventType.FINAL_REPORT);
      return final?.type === EventType.FINAL_REPORT ? final.data.report.executive_summary : "";
    };
    try {
      expect(await reportOf(await chat("describe dataset chat-set"))).toContain('"chat-set" holds 3 records');
      expect(await call("PATCH", corpusUrl("chat-set"), token, { retention_days: 30 })).toMatchObject({ status: 200 });
      expect(await reportOf(await chat("rename dataset chat-set to chat-old"))).toContain('to "chat-old"');
      expect(await server.app.usage.count({ owner: ownerId, corpus: "chat-old" })).toBe(3);
      // The corpus's retention setting moved with it, and the chat rename is in the audit log like a REST one.
      expect((await get(corpusUrl("chat-old"), token)).body.corpus).toMatchObject({ retention_days: 30 });
      const audit = new AuditLogRepository(server.app.database.db);
      expect(await audit.query({ action: AuditAction.CORPUS_RENAME, actorId: ownerId, limit: 1 })).toEqual([
        expect.objectContaining({ actorEmail: OWNER.email, target: "chat-set", params: { name: "chat-old", records: 3 }, outcome: "ok" }),
      ]);

      const declined = await chat("delete the chat-old dataset");
      const first = await client.next((f) => f.run_id === declined && f.type === EventType.AWAITING_INPUT);
      expect(await send({ type: ClientCommand.RESPOND, interrupt_id: (first.data as { interrupt_id: string }).interrupt_id, decision: Decision.DECLINE })).toMatchObject({ status: "accepted" });
      expect(await reportOf(declined)).toContain("was kept");
      expect(await server.app.usage.count({ owner: ownerId, corpus: "chat-old" })).toBe(3);

      const approved = await chat("delete the chat-old dataset");
      const second = await client.next((f) => f.run_id === approved && f.type === EventType.AWAITING_INPUT);
      expect(await send({ type: ClientCommand.RESPOND, interrupt_id: (second.data as { interrupt_id: string }).interrupt_id, decision: Decision.APPROVE })).toMatchObject({ status: "accepted" });
      expect(await reportOf(approved)).toContain("Deleted the dataset \"chat-old\" and its 3 records");
      expect(await server.app.usage.count({ owner: ownerId, corpus: "chat-old" })).toBe(0);
      expect(await audit.query({ action: AuditAction.CORPUS_DELETE, actorId: ownerId, limit: 1 })).toEqual([
        expect.objectContaining({ target: "chat-old", params: { deleted_records: 3 }, outcome: "ok" }),
      ]);
      // The setting went with the corpus: a new corpus of the same name starts on the server's default.
      await server.app.usage.insert(ownerId, "chat-old", [{ id: "again-1", timestamp: "2025-03-01T00:00:00Z", model: "gpt-4o", input_tokens: 1, output_tokens: 1, status: "success", num_requests: 1, computed_cost_usd: null, cost_mismatch: false }]);
      expect((await get(corpusUrl("chat-old"), token)).body.corpus).toMatchObject({ records: 1, retention_days: null });
    } finally {
      client.socket.terminate();
    }
  });
});
