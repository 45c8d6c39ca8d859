// Administration from chat on every store target, over a real socket: Triage routes catalog and account commands to the
// Corpus Admin, which calls the admin tools through the one dispatcher. An admin's changes are asked first (approve /
// decline) and land in the catalog and account store, audited; a non-admin's call is refused (`forbidden`, audited as
// denied) and the run completes saying an administrator is needed. With an LLM configured, its structured reading of
// the command is taken when it is the same command and its reason is the user's own words.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, ROUTES, startRecordedServer, type RecordedReply, type RecordedServer } from "../../src/llm/recorded-server.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import type { CatalogVersionSummary } from "../../src/protocol/catalog.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { AgentName, ClientCommand, ControlFrame, Decision, EnvVar, EventType, Role, RoutePath, Tier, ToolName } from "../../src/protocol/names.ts";
import { AuditAction } from "../../src/server/audit-actions.ts";
import { AuditLogRepository, AuditOutcome } from "../../src/store/audit-log.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { entryOfPrices } from "../../src/tools/catalog-tools.ts";
import type { AdminUserView } from "../../src/tools/user-administration.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { TEST_MODEL } from "./cluster-node.ts";
import { get, post, startServer, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const ADMIN = { email: "chat-admin@example.com", password: "admin-password-1" };
const BOB = { email: "bob@example.com", password: "bob-password-1" };

/** One signed-in chat socket: sends messages, answers questions, reads a run's report. */
class ChatUser {
  #frames = 0;
  constructor(readonly client: TestClient) {}

  async ask(text: string): Promise<string> {
    const id = `f${++this.#frames}`;
    this.client.send({ type: ClientCommand.USER_MESSAGE, text, id });
    const ack = await this.client.next((f) => f.id === id && (f.type === ControlFrame.ACK || f.type === ControlFrame.ERROR));
    expect(ack.type).toBe(ControlFrame.ACK);
    return String(ack.run_id);
  }

  async answer(runId: string, decision: string = Decision.APPROVE): Promise<string> {
    const question = await this.client.next((f) => f.run_id === runId && f.type === EventType.AWAITING_INPUT);
    const { interrupt_id: interruptId, prompt } = question.data as { interrupt_id: string; prompt: string };
    this.client.send({ type: ClientCommand.RESPOND, interrupt_id: interruptId, decision, id: `f${++this.#frames}` });
    return prompt;
  }

  /** The run's agents and report, once it completed. */
  async finished(runId: string): Promise<{ ran: string[]; tools: string[]; report: string; asked: boolean }> {
    const events: readonly RunEvent[] = await this.client.runToEnd(runId);
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(checkRunInvariants(events)).toEqual([]);
    const final = events.find((e) => e.type === EventType.FINAL_REPORT);
    return {
      ran: events.flatMap((e) => (e.type === EventType.AGENT_STARTED ? [e.data.agent_name] : [])),
      tools: events.flatMap((e) => (e.type === EventType.TOOL_EXECUTING ? [e.data.tool_name] : [])),
      report: final?.type === EventType.FINAL_REPORT ? final.data.report.executive_summary : "",
      asked: events.some((e) => e.type === EventType.AWAITING_INPUT),
    };
  }
}

const signIn = async (server: TestServer, user: { email: string; password: string }) =>
  String((await post(server.url + RoutePath.AUTH_LOGIN, user)).body.token);

async function chat(server: TestServer, token: string): Promise<ChatUser> {
  const client = TestClient.open(server.url, token);
  await client.next((f) => f.type === ControlFrame.WELCOME);
  return new ChatUser(client);
}

describe.each(storeTargets())("admin commands in chat on $name", (target) => {
  let server: TestServer;
  let admin: ChatUser;
  let bob: ChatUser;
  let adminToken = "";
  const ids = { admin: "", bob: "" };

  const audit = () => new AuditLogRepository(server.app.database.db);

  beforeAll(async () => {
    server = await startServer(target);
    ids.admin = (await server.app.auth.createUser(ADMIN.email, ADMIN.password, Role.ADMIN)).id;
    ids.bob = (await server.app.auth.createUser(BOB.email, BOB.password)).id;
    adminToken = await signIn(server, ADMIN);
    admin = await chat(server, adminToken);
    bob = await chat(server, await signIn(server, BOB));
  });
  afterAll(async () => {
    admin?.client.socket.terminate();
    bob?.client.socket.terminate();
    await server?.stop();
  });

  it("lists the users for an admin; only Triage and the Corpus Admin run", async () => {
    const { ran, tools, report } = await admin.finished(await admin.ask("list users"));
    expect(ran).toEqual([AgentName.TRIAGE, AgentName.CORPUS_ADMIN]);
    expect(tools).toContain(ToolName.LIST_USERS);
    expect(report).toContain("2 accounts");
    expect(report).toContain(`${BOB.email} (${Role.USER}, ${Tier.FREE})`);
  });

  it("moves a user to another tier on an admin's word, audited", async () => {
    const { report } = await admin.finished(await admin.ask(`move ${BOB.email} to the pro tier`));
    expect(report).toContain(`on the ${Tier.PRO} tier`);
    const users = (await get(server.url + RoutePath.ADMIN_USERS, adminToken)).body.users as AdminUserView[];
    expect(users.find((u) => u.email === BOB.email)?.tier).toBe(Tier.PRO);
    const [entry] = await audit().query({ actorId: ids.admin, action: AuditAction.USER_UPDATE, limit: 1 });
    expect(entry).toMatchObject({ target: ids.bob, outcome: AuditOutcome.OK, params: { change: { tier: Tier.PRO }, before: { tier: Tier.FREE } } });
  });

  it("asks before making a user an admin, then changes the role", async () => {
    const runId = await admin.ask(`make ${BOB.email} an admin`);
    expect(await admin.answer(runId)).toContain(`Make ${BOB.email} an ${Role.ADMIN}?`);
    const { report } = await admin.finished(runId);
    expect(report).toContain(`is now an ${Role.ADMIN}`);
    const users = (await get(server.url + RoutePath.ADMIN_USERS, adminToken)).body.users as AdminUserView[];
    expect(users.find((u) => u.email === BOB.email)?.role).toBe(Role.ADMIN);
    const undo = await admin.ask(`make ${BOB.email} a regular user`);
    await admin.answer(undo);
    expect((await admin.finished(undo)).report).toContain(`is now a ${Role.USER}`);
  });

  it("disables nobody and revokes nothing when the admin declines", async () => {
    const disable = await admin.ask(`disable ${BOB.email}`);
    await admin.answer(disable, Decision.DECLINE);
    expect((await admin.finished(disable)).report).toContain(`You declined; ${BOB.email} was not changed.`);
    const reset = await admin.ask(`reset the API keys of ${BOB.email}`);
    expect(await admin.answer(reset, Decision.DECLINE)).toContain(`Revoke every API key of ${BOB.email}?`);
    const { tools } = await admin.finished(reset);
    expect(tools).not.toContain(ToolName.RESET_API_KEYS);
    const users = (await get(server.url + RoutePath.ADMIN_USERS, adminToken)).body.users as AdminUserView[];
    expect(users.find((u) => u.email === BOB.email)?.disabled).toBe(false);
  });

  it("asks before a catalog price edit and writes a new version with the reason; a lookup then answers the new price", async () => {
    const bundled = entryOfPrices(new PriceBook().lookup("gpt-4o")!);
    const before = await admin.finished(await admin.ask("what does gpt-4o cost in the catalog?"));
    expect(before.report).toContain(`input $${bundled.input_per_mtok} per million tokens`);

    const missing = await admin.finished(await admin.ask("set the input price of gpt-4o to 2.75 per million tokens"));
    expect(missing.report).toContain("needs a reason");
    expect(missing.tools).not.toContain(ToolName.CATALOG_UPDATE);

    const runId = await admin.ask("set the input price of gpt-4o to 2.75 per million tokens because the provider cut it");
    expect(await admin.answer(runId)).toContain(`from $${bundled.input_per_mtok} per million tokens to $2.75 per million tokens`);
    const { report, tools } = await admin.finished(runId);
    expect(tools).toEqual([ToolName.LIST_CORPORA, ToolName.CATALOG_LOOKUP, ToolName.CATALOG_UPDATE]);
    expect(report).toContain("global catalog version 1");
    const versions = (await get(server.url + RoutePath.CATALOG_VERSIONS, adminToken)).body.versions as CatalogVersionSummary[];
    expect(versions.find((v) => v.version === 1)).toMatchObject({ author_email: ADMIN.email, reason: "the provider cut it" });

    const after = await bob.finished(await bob.ask("show the catalog entry for gpt-4o"));
    expect(after.report).toContain("input $2.75 per million tokens");
  });

  it("refuses a non-admin's admin command clearly, audited as denied, and the run completes", async () => {
    const runId = await bob.ask("list users");
    const { ran, tools, report, asked } = await bob.finished(runId);
    expect(ran).toEqual([AgentName.TRIAGE, AgentName.CORPUS_ADMIN]);
    expect(tools).toContain(ToolName.LIST_USERS);
    expect(asked).toBe(false);
    expect(report).toContain("Only an administrator can list the users");
    const [entry] = await audit().query({ actorId: ids.bob, limit: 1 });
    expect(entry).toMatchObject({ action: AuditAction.TOOL_CALL, target: ToolName.LIST_USERS, outcome: AuditOutcome.DENIED, params: { run_id: runId } });
  });
});

/** A recorded chat completion whose content is `reading` as JSON (the structured output). */
function structured(reading: Record<string, unknown>): RecordedReply {
  const base = fixture("openai-chat-text");
  const body = base.body as { choices: { message: { content: string } }[] };
  return { ...base, body: { ...body, choices: body.choices.map((c) => ({ ...c, message: { ...c.message, content: JSON.stringify(reading) } })) } };
}

describe.each(storeTargets())("admin commands read by an LLM on $name", (target) => {
  let llm: RecordedServer;
  let server: TestServer;
  let admin: ChatUser;
  let adminToken = "";
  const request = "set the output price of gpt-4o to 9 per million tokens, the provider raised it";
  const reading = { op: "catalog_price", model: "gpt-4o", price_field: "output_per_mtok", price_per_mtok: 9, user: null, role: null, tier: null, disabled: null };

  beforeAll(async () => {
    llm = await startRecordedServer({ apiKey: null, models: [TEST_MODEL] });
    server = await startServer(target, { [EnvVar.LLM_PROVIDER]: "openai", [EnvVar.LLM_BASE_URL]: `${llm.url}/v1`, [EnvVar.LLM_MODEL]: TEST_MODEL });
    await server.app.auth.createUser(ADMIN.email, ADMIN.password, Role.ADMIN);
    adminToken = await signIn(server, ADMIN);
    admin = await chat(server, adminToken);
  });
  afterAll(async () => {
    admin?.client.socket.terminate();
    await server?.stop();
    await llm?.close();
  });

  it("takes the model's reason when the user wrote it, and refuses one the model made up", async () => {
    llm.reply(ROUTES.openaiChat, structured({ ...reading, reason: "a routine review" }));
    const invented = await admin.finished(await admin.ask(request));
    expect(invented.report).toContain("needs a reason");
    expect(invented.tools).not.toContain(ToolName.CATALOG_UPDATE);

    llm.reply(ROUTES.openaiChat, structured({ ...reading, reason: "the provider raised it" }));
    const runId = await admin.ask(request);
    expect(await admin.answer(runId)).toContain("to $9 per million tokens in the global catalog (reason: the provider raised it)");
    expect((await admin.finished(runId)).report).toContain("global catalog version 1");
    const versions = (await get(server.url + RoutePath.CATALOG_VERSIONS, adminToken)).body.versions as CatalogVersionSummary[];
    expect(versions.find((v) => v.version === 1)).toMatchObject({ author_email: ADMIN.email, reason: "the provider raised it" });
    expect(llm.pending()).toBe(0);
  });
});
