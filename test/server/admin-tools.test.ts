// The admin tools in chat, through the one dispatcher of a real engine factory (the server's AccountAdministration and
// audit trail on PGlite, and PostgreSQL when DATABASE_URL is set): a non-admin's call of each is refused with
// `forbidden` by the dispatcher and audited as denied via the factory's hook; an admin's calls work and are audited.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOfflineProvider } from "../../src/llm/offline.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { AgentName, ErrorCode, EventType, Role, Tier, ToolName } from "../../src/protocol/names.ts";
import type { Agent } from "../../src/runtime/agent.ts";
import { ExecutionEngineFactory } from "../../src/runtime/engine-factory.ts";
import { MemoryEventSink } from "../../src/runtime/event-sink.ts";
import { Registry } from "../../src/runtime/registry.ts";
import type { AnyTool } from "../../src/runtime/tool.ts";
import { AccountAdministration } from "../../src/server/account-administration.ts";
import { AuditAction } from "../../src/server/audit-actions.ts";
import { AuditTrail } from "../../src/server/audit-trail.ts";
import { ApiKeyRepository } from "../../src/store/api-keys.ts";
import { AuditLogRepository, AuditOutcome } from "../../src/store/audit-log.ts";
import { storeTargets, type DisposableDatabase } from "../../src/store/disposable-database.ts";
import { UserRepository } from "../../src/store/users.ts";
import { registerApexTools } from "../../src/tools/catalog.ts";
import type { ApexServices } from "../../src/tools/services.ts";
import { openToolTestBench, type ToolTestBench } from "../../src/tools/tool-test-bench.ts";

const ADMIN_TOOL_CALLS = [
  { tool: ToolName.LIST_USERS, params: {} },
  { tool: ToolName.UPDATE_USER, params: { user: "admin@example.com", disabled: true } },
  { tool: ToolName.RESET_API_KEYS, params: { user: "admin@example.com" } },
] as const;

/** Calls the tool the request names (a JSON `{tool, params}`), as a chat agent would; the result is its summary. */
const callingAgent: Agent<ApexServices> = {
  name: AgentName.TRIAGE,
  description: "Calls the admin tool the request names.",
  async run({ request, tools }) {
    const { tool, params } = JSON.parse(request) as { tool: string; params: Record<string, unknown> };
    return { summary: JSON.stringify(await tools.call(tool, params)) };
  },
};

describe.each(storeTargets())("admin tools on $name", (target) => {
  let store: DisposableDatabase;
  let bench: ToolTestBench;
  let factory: ExecutionEngineFactory<ApexServices>;
  const sink = new MemoryEventSink();
  const ids: Record<string, string> = {};

  const run = async (userId: string, role: (typeof Role)[keyof typeof Role], call: { tool: string; params: object }) => {
    const handle = factory.start({ userId, threadId: "thread-admin", role, request: JSON.stringify(call) });
    await handle.done;
    const events: readonly RunEvent[] = sink.events(handle.runId, userId);
    const completed = events.find((e) => e.type === EventType.TOOL_COMPLETED);
    if (completed?.type !== EventType.TOOL_COMPLETED) throw new Error("the tool was not called");
    return { data: completed.data, runId: handle.runId };
  };

  beforeAll(async () => {
    store = await target.create();
    bench = await openToolTestBench();
    const users = new UserRepository(store.database.db);
    ids.admin = (await users.create({ email: "admin@example.com", passwordHash: "argon2-hash", role: Role.ADMIN })).id;
    ids.user = (await users.create({ email: "user@example.com", passwordHash: "argon2-hash" })).id;
    const audit = new AuditTrail(store.database.db);
    factory = new ExecutionEngineFactory<ApexServices>({
      agents: new Registry<Agent<ApexServices>>("agent").register(AgentName.TRIAGE, callingAgent),
      tools: registerApexTools(new Registry<AnyTool<ApexServices>>("tool")),
      sink,
      services: { usage: bench.store, prices: bench.book, llm: createOfflineProvider(), admin: new AccountAdministration(store.database.db, audit) },
      pipeline: [AgentName.TRIAGE],
      onToolDenied: audit.toolDenied,
    });
  });
  afterAll(async () => {
    await bench?.close();
    await store?.drop();
  });

  it("refuses every admin tool to a non-admin with forbidden, audits each refusal, and changes nothing", async () => {
    for (const call of ADMIN_TOOL_CALLS) {
      const { data, runId } = await run(ids.user!, Role.USER, call);
      expect(data).toMatchObject({ tool_name: call.tool, ok: false, error: { code: ErrorCode.FORBIDDEN } });
      const [entry] = await new AuditLogRepository(store.database.db).query({ actorId: ids.user!, limit: 1 });
      expect(entry).toMatchObject({
        actorEmail: "user@example.com",
        action: AuditAction.TOOL_CALL,
        target: call.tool,
        outcome: AuditOutcome.DENIED,
        params: { ...call.params, run_id: runId },
      });
    }
    expect((await new UserRepository(store.database.db).findById(ids.admin!))?.disabledAt).toBeNull();
  });

  it("lets an admin list, update and reset keys from chat, each change audited as the admin", async () => {
    const listed = await run(ids.admin!, Role.ADMIN, { tool: ToolName.LIST_USERS, params: {} });
    expect(listed.data).toMatchObject({ ok: true, result: { users: [{ email: "admin@example.com", role: Role.ADMIN }, { email: "user@example.com" }] } });

    const updated = await run(ids.admin!, Role.ADMIN, { tool: ToolName.UPDATE_USER, params: { user: "user@example.com", tier: Tier.ENTERPRISE } });
    expect(updated.data).toMatchObject({ ok: true, result: { user: { id: ids.user, tier: Tier.ENTERPRISE } } });

    const { secret } = await new ApiKeyRepository(store.database.db).create(ids.user!, "script");
    const reset = await run(ids.admin!, Role.ADMIN, { tool: ToolName.RESET_API_KEYS, params: { user: ids.user } });
    expect(reset.data).toMatchObject({ ok: true, result: { user_id: ids.user, revoked: 1 } });
    expect(JSON.stringify(reset.data)).not.toContain(secret);

    const entries = await new AuditLogRepository(store.database.db).query({ actorId: ids.admin! });
    expect(entries.map((e) => [e.action, e.target, e.outcome])).toEqual([
      [AuditAction.USER_API_KEYS_RESET, ids.user, AuditOutcome.OK],
      [AuditAction.USER_UPDATE, ids.user, AuditOutcome.OK],
    ]);

    const lastAdmin = await run(ids.admin!, Role.ADMIN, { tool: ToolName.UPDATE_USER, params: { user: ids.admin, role: Role.USER } });
    expect(lastAdmin.data).toMatchObject({ ok: false, error: { code: ErrorCode.LAST_ADMIN } });
    const invalid = await run(ids.admin!, Role.ADMIN, { tool: ToolName.UPDATE_USER, params: { user: ids.user } });
    expect(invalid.data).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_PARAMETERS } });
  });

  it("re-reads the actor: a run started as admin by an account that is no longer one is refused and audited", async () => {
    // The context says admin (the dispatcher lets the call through); the store says user.
    const { data } = await run(ids.user!, Role.ADMIN, { tool: ToolName.LIST_USERS, params: {} });
    expect(data).toMatchObject({ ok: false, error: { code: ErrorCode.FORBIDDEN } });
    const [entry] = await new AuditLogRepository(store.database.db).query({ actorId: ids.user!, limit: 1 });
    expect(entry).toMatchObject({ action: AuditAction.USER_LIST, outcome: AuditOutcome.DENIED });
  });
});
