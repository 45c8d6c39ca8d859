// The supply catalog over a real server (PGlite always, PostgreSQL when DATABASE_URL is set): versions with author and
// reason, history, diff, rollback, a tenant's entries over the global ones, the chat tools through the real dispatcher,
// non-admins refused (and audited) on every change, and a report reproduced exactly with the catalog version it used.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOfflineProvider } from "../../src/llm/offline.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import { BUNDLED_CATALOG_SOURCE, CatalogScope, type CatalogEntry, type CatalogVersionSummary } from "../../src/protocol/catalog.ts";
import { ClientCommand, ControlFrame, ErrorCode, EventType, OpportunityKind, Role, RoutePath, ToolName } from "../../src/protocol/names.ts";
import { ReportSchema, type Report } from "../../src/protocol/report.ts";
import { UserExecutionContext } from "../../src/runtime/context.ts";
import { RunEmitter } from "../../src/runtime/emitter.ts";
import { MemoryEventSink } from "../../src/runtime/event-sink.ts";
import { Registry } from "../../src/runtime/registry.ts";
import type { AnyTool } from "../../src/runtime/tool.ts";
import { ToolDispatcher } from "../../src/runtime/tool-dispatcher.ts";
import { AuditAction } from "../../src/server/audit-actions.ts";
import { SupplyCatalog } from "../../src/server/supply-catalog.ts";
import { AuditLogRepository, AuditOutcome } from "../../src/store/audit-log.ts";
import { CatalogRepository } from "../../src/store/catalog.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { registerApexTools } from "../../src/tools/catalog.ts";
import { entryOfPrices } from "../../src/tools/catalog-tools.ts";
import type { ApexServices } from "../../src/tools/services.ts";
import { get, post, startServer, type Reply, type TestServer } from "./test-server.ts";
import { loadUsage } from "./usage-fixture.ts";
import { TestClient } from "./ws-client.ts";

const ADMIN = { email: "admin@example.com", password: "admin-password-1" };
const ALICE = { email: "alice@example.com", password: "alice-password-1" };
const book = new PriceBook();
const codeOf = (reply: Reply) => (reply.body.error as { code: string } | undefined)?.code;
const entry = (model: string, input: number, output: number): CatalogEntry => ({ model, provider: "openai", input_per_mtok: input, output_per_mtok: output, substitutes: [] });

describe.each(storeTargets())("supply catalog on $name", (target) => {
  let server: TestServer;
  let admin = { id: "", token: "" };
  let alice = { id: "", token: "" };
  const url = (path: string) => server.url + path;

  beforeAll(async () => {
    server = await startServer(target);
    admin = { id: (await server.app.auth.createUser(ADMIN.email, ADMIN.password, Role.ADMIN)).id, token: "" };
    admin.token = String((await post(url(RoutePath.AUTH_LOGIN), ADMIN)).body.token);
    alice = { id: (await server.app.auth.createUser(ALICE.email, ALICE.password)).id, token: "" };
    alice.token = String((await post(url(RoutePath.AUTH_LOGIN), ALICE)).body.token);
    await loadUsage(server, alice.id, 4000);
  }, 120_000);
  afterAll(async () => server?.stop());

  const audit = () => new AuditLogRepository(server.app.database.db);

  it("refuses every change to a non-admin with 403, audited as denied, and writes no version", async () => {
    const denied = [
      await post(url(RoutePath.CATALOG_VERSIONS), { scope: CatalogScope.GLOBAL, entries: [entry("x-model", 1, 2)], reason: "sneaky" }, alice.token),
      await post(url(RoutePath.CATALOG_ROLLBACK), { scope: CatalogScope.GLOBAL, version: 0, reason: "sneaky" }, alice.token),
      await get(`${url(RoutePath.CATALOG_VERSIONS)}?scope=${CatalogScope.TENANT}&user_id=${admin.id}`, alice.token),
    ];
    expect(denied.map((r) => [r.status, codeOf(r)])).toEqual([
      [403, ErrorCode.FORBIDDEN],
      [403, ErrorCode.FORBIDDEN],
      [403, ErrorCode.FORBIDDEN],
    ]);
    const entries = await audit().query({ actorId: alice.id, oldestFirst: true });
    expect(entries.map((e) => [e.action, e.outcome])).toEqual([
      [AuditAction.CATALOG_UPDATE, AuditOutcome.DENIED],
      [AuditAction.CATALOG_ROLLBACK, AuditOutcome.DENIED],
      [AuditAction.CATALOG_READ, AuditOutcome.DENIED],
    ]);
    expect((await get(url(RoutePath.CATALOG_VERSIONS), alice.token)).body.versions).toHaveLength(1);
    expect((await get(url(RoutePath.CATALOG_VERSIONS))).status).toBe(401);
  });

  it("versions, history, diff and rollback of the global catalog, each change audited with its reason", async () => {
    const missingReason = await post(url(RoutePath.CATALOG_VERSIONS), { scope: CatalogScope.GLOBAL, entries: [] }, admin.token);
    expect([missingReason.status, codeOf(missingReason)]).toEqual([400, ErrorCode.INVALID_REQUEST]);
    const v1 = await post(url(RoutePath.CATALOG_VERSIONS), { scope: CatalogScope.GLOBAL, entries: [entry("house-a", 1, 2), entry("house-b", 3, 4)], reason: "first house models" }, admin.token);
    expect(v1.status).toBe(201);
    expect(v1.body.version).toMatchObject({ scope: CatalogScope.GLOBAL, version: 1, author_email: ADMIN.email, reason: "first house models", models: 2 });
    const v2 = await post(
      url(RoutePath.CATALOG_VERSIONS),
      { scope: CatalogScope.GLOBAL, changes: { set: [entry("house-a", 1.5, 2), entry("house-c", 5, 6)], remove: ["house-b"] }, reason: "reprice a, drop b" },
      admin.token,
    );
    expect((v2.body.version as CatalogVersionSummary).version).toBe(2);

    const history = (await get(url(RoutePath.CATALOG_VERSIONS), admin.token)).body.versions as CatalogVersionSummary[];
    expect(history.map((v) => [v.version, v.reason])).toEqual([
      [2, "reprice a, drop b"],
      [1, "first house models"],
      [0, "the bundled price data"],
    ]);
    const one = (await get(url(RoutePath.CATALOG_VERSION.replace(":version", "1")), alice.token)).body.version as { entries: CatalogEntry[] };
    expect(one.entries.map((e) => e.model)).toEqual(["house-a", "house-b"]);
    expect((await get(url(RoutePath.CATALOG_VERSION.replace(":version", "9")), admin.token)).status).toBe(404);

    const diff = (await get(`${url(RoutePath.CATALOG_DIFF)}?from=1&to=2`, admin.token)).body.diff;
    expect(diff).toEqual({
      added: [entry("house-c", 5, 6)],
      removed: [entry("house-b", 3, 4)],
      changed: [{ model: "house-a", fields: [{ field: "input_per_mtok", before: 1, after: 1.5 }] }],
    });

    const rolled = await post(url(RoutePath.CATALOG_ROLLBACK), { scope: CatalogScope.GLOBAL, version: 1, reason: "b is back" }, admin.token);
    expect(rolled.body.version).toMatchObject({ version: 3, reason: "rollback to v1: b is back", models: 2 });
    expect((await get(`${url(RoutePath.CATALOG_DIFF)}?from=1&to=3`, admin.token)).body.diff).toEqual({ added: [], removed: [], changed: [] });
    // Back to the bundled data alone, so the analyses below start from version 0's prices.
    await post(url(RoutePath.CATALOG_ROLLBACK), { scope: CatalogScope.GLOBAL, version: 0, reason: "clean slate" }, admin.token);

    const done = await audit().query({ actorId: admin.id, oldestFirst: true });
    expect(done.map((e) => [e.action, e.outcome, e.params.reason])).toEqual([
      [AuditAction.CATALOG_UPDATE, AuditOutcome.OK, "first house models"],
      [AuditAction.CATALOG_UPDATE, AuditOutcome.OK, "reprice a, drop b"],
      [AuditAction.CATALOG_ROLLBACK, AuditOutcome.OK, "b is back"],
      [AuditAction.CATALOG_ROLLBACK, AuditOutcome.OK, "clean slate"],
    ]);
  });

  it("appends concurrent saves of one scope as distinct versions", async () => {
    const repo = new CatalogRepository(server.app.database.db);
    const saved = await Promise.all(
      [1, 2, 3].map((n) => repo.append({ scope: admin.id, authorId: admin.id, authorEmail: ADMIN.email, reason: `save ${n}`, entries: [entry(`m-${n}`, n, n)] })),
    );
    expect(saved.map((v) => v.version).sort()).toEqual([1, 2, 3]);
  });

  it("lays a tenant's entries over the global ones, for that tenant only, and serves them to the chat tools", async () => {
    await post(url(RoutePath.CATALOG_VERSIONS), { scope: CatalogScope.GLOBAL, changes: { set: [entry("shared-model", 10, 20)] }, reason: "global price" }, admin.token);
    const tenant = await post(
      url(RoutePath.CATALOG_VERSIONS),
      { scope: CatalogScope.TENANT, user_id: alice.id, entries: [{ ...entry("shared-model", 7, 14), substitutes: [{ model: "house-a", for: ["classification"] }] }], reason: "alice's negotiated price" },
      admin.token,
    );
    expect(tenant.body.version).toMatchObject({ scope: CatalogScope.TENANT, user_id: alice.id, version: 1 });
    const mine = (await get(url(RoutePath.CATALOG), alice.token)).body as { catalog: unknown; entries: (CatalogEntry & { source: string })[] };
    expect(mine.entries.find((e) => e.model === "shared-model")).toMatchObject({ input_per_mtok: 7, source: CatalogScope.TENANT });
    const theirs = (await get(url(RoutePath.CATALOG), admin.token)).body as typeof mine;
    expect(theirs.entries.find((e) => e.model === "shared-model")).toMatchObject({ input_per_mtok: 10, source: CatalogScope.GLOBAL });
    expect((await get(`${url(RoutePath.CATALOG_VERSIONS)}?scope=${CatalogScope.TENANT}`, alice.token)).body.versions).toHaveLength(2);

    const catalog = new SupplyCatalog(server.app.database.db);
    const dispatcherFor = async (userId: string, role: (typeof Role)[keyof typeof Role]) => {
      const context = UserExecutionContext.create({ userId, threadId: "t1", runId: `r-${userId}`, role });
      const services: ApexServices = { usage: server.app.usage, llm: createOfflineProvider(), ...(await catalog.pinnedServices(userId)) };
      const dispatcher = new ToolDispatcher<ApexServices>({
        context,
        tools: registerApexTools(new Registry<AnyTool<ApexServices>>("tool")).freeze(),
        emitter: new RunEmitter(context, new MemoryEventSink()),
        services,
        defaultTimeoutMs: 30_000,
        caching: false,
      });
      return dispatcher.open("triage");
    };
    const asAlice = await dispatcherFor(alice.id, Role.USER);
    expect(await asAlice.call(ToolName.CATALOG_LOOKUP, { model: "shared-model" })).toMatchObject({ found: true, source: CatalogScope.TENANT, entry: { input_per_mtok: 7, substitutes: [{ model: "house-a" }] } });
    expect(await asAlice.call(ToolName.CATALOG_LOOKUP, { model: "gpt-4o-mini" })).toMatchObject({ found: true, source: BUNDLED_CATALOG_SOURCE, entry: entryOfPrices(book.lookup("gpt-4o-mini")!) });
    await expect(asAlice.call(ToolName.CATALOG_UPDATE, { scope: CatalogScope.GLOBAL, entries: [], reason: "from chat" })).rejects.toMatchObject({ code: ErrorCode.FORBIDDEN });
    // The same lookup over REST (the catalog page's "look up a model"): every account, its own catalog over the bundled prices.
    const model = (name: string) => url(RoutePath.CATALOG_MODEL).replace(":model", encodeURIComponent(name));
    expect((await get(model("shared-model"), alice.token)).body).toMatchObject({ found: true, source: CatalogScope.TENANT, entry: { input_per_mtok: 7 } });
    expect((await get(model("shared-model"), admin.token)).body).toMatchObject({ found: true, source: CatalogScope.GLOBAL, entry: { input_per_mtok: 10 } });
    expect((await get(model("gpt-4o-mini"), alice.token)).body).toMatchObject({ found: true, source: BUNDLED_CATALOG_SOURCE, entry: entryOfPrices(book.lookup("gpt-4o-mini")!) });
    expect((await get(model("no-such-model-anywhere"), alice.token)).body).toMatchObject({ model: "no-such-model-anywhere", found: false, source: null, entry: null });
    expect((await get(model("gpt-4o-mini"))).status).toBe(401);
    await asAlice.close();
    const asAdmin = await dispatcherFor(admin.id, Role.ADMIN);
    const made = await asAdmin.call<CatalogVersionSummary>(ToolName.CATALOG_UPDATE, { scope: CatalogScope.GLOBAL, changes: { remove: ["shared-model"] }, reason: "from chat" });
    expect(made.reason).toBe("from chat");
    await asAdmin.close();
    expect((await audit().query({ actorId: admin.id, action: AuditAction.CATALOG_UPDATE }))[0]?.params).toMatchObject({ reason: "from chat", version: made.version });
    // The tenant version goes back to nothing, so Alice's analyses below see only the global catalog.
    await post(url(RoutePath.CATALOG_ROLLBACK), { scope: CatalogScope.TENANT, user_id: alice.id, version: 0, reason: "done" }, admin.token);
  });

  /** Sends a message over /ws (or reproduces a run over REST) and returns the finished run's report. */
  async function reportOf(runId: string): Promise<Report> {
    const client = TestClient.open(server.url, alice.token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    client.send({ type: ClientCommand.SUBSCRIBE, id: "s", run_id: runId });
    const events = await client.runToEnd(runId);
    await client.close();
    const final = events.find((e) => e.type === EventType.FINAL_REPORT);
    if (final?.type !== EventType.FINAL_REPORT) throw new Error(`run ${runId} ended without a report: ${events.map((e) => e.type).join(",")}`);
    return ReportSchema.parse(final.data.report);
  }
  async function analyse(): Promise<{ runId: string; report: Report }> {
    const client = TestClient.open(server.url, alice.token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    client.send({ type: ClientCommand.USER_MESSAGE, id: "u", text: "Where can I cut my LLM costs?" });
    const runId = String((await client.next((f) => f.id === "u")).run_id);
    await client.close();
    return { runId, report: await reportOf(runId) };
  }
  async function reproduce(runId: string, pin: Record<string, number> = {}): Promise<Report> {
    const started = await post(url(RoutePath.RUN_REPRODUCE.replace(":run_id", runId)), pin, alice.token);
    expect(started.status).toBe(202);
    return reportOf(String(started.body.run_id));
  }

  it("prices a new analysis with the new catalog, leaves the old report alone and reproduces it exactly", async () => {
    const before = await analyse();
    const pinned = before.report.catalog!;
    const rightsizing = before.report.opportunities.find((o) => o.kind === OpportunityKind.MODEL_RIGHTSIZING);
    expect(rightsizing).toBeDefined();
    const targetModel = /to (\S+)$/.exec(rightsizing!.title)![1]!;
    const current = entryOfPrices(book.lookup(targetModel)!);
    const changed = await post(
      url(RoutePath.CATALOG_VERSIONS),
      { scope: CatalogScope.GLOBAL, changes: { set: [{ ...current, input_per_mtok: current.input_per_mtok * 1.25, output_per_mtok: current.output_per_mtok * 1.25 }] }, reason: `${targetModel} price rise` },
      admin.token,
    );
    const version = (changed.body.version as CatalogVersionSummary).version;

    const after = await analyse();
    expect(after.report.catalog).toEqual({ global_version: version, tenant_version: pinned.tenant_version });
    expect(after.report.total_est_monthly_savings_usd).not.toBe(before.report.total_est_monthly_savings_usd);
    expect(await reportOf(before.runId)).toEqual(before.report);

    const again = await reproduce(before.runId);
    expect(again.catalog).toEqual(pinned);
    expect(again.opportunities.map((o) => [o.title, o.est_monthly_savings_usd])).toEqual(before.report.opportunities.map((o) => [o.title, o.est_monthly_savings_usd]));
    expect(again.total_est_monthly_savings_usd).toBe(before.report.total_est_monthly_savings_usd);
    expect((await reproduce(before.runId, { global_version: version })).total_est_monthly_savings_usd).toBe(after.report.total_est_monthly_savings_usd);
    const missing = await post(url(RoutePath.RUN_REPRODUCE.replace(":run_id", before.runId)), { global_version: 99 }, alice.token);
    expect([missing.status, codeOf(missing)]).toEqual([404, ErrorCode.NOT_FOUND]);
  }, 180_000);
});
