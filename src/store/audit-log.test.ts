import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeTargets, type DisposableDatabase } from "./disposable-database.ts";
import { AuditLogRepository, AuditOutcome, withoutSecrets } from "./audit-log.ts";
import { UserRepository } from "./users.ts";

describe("withoutSecrets", () => {
  it("redacts secret-looking keys at any depth and keeps the rest", () => {
    expect(withoutSecrets({ email: "a@b.c", password: "p", nested: { api_key: "k", role: "admin" }, list: [{ token: "t" }] })).toEqual({
      email: "a@b.c",
      password: "[redacted]",
      nested: { api_key: "[redacted]", role: "admin" },
      list: [{ token: "[redacted]" }],
    });
  });
});

describe.each(storeTargets())("AuditLogRepository on $name", (target) => {
  let disposable: DisposableDatabase;
  let adminId = "";

  beforeAll(async () => {
    disposable = await target.create();
    adminId = (await new UserRepository(disposable.database.db).create({ email: "admin@example.com", passwordHash: "h" })).id;
  });

  afterAll(async () => {
    await disposable.drop();
  });

  it("records entries without secrets and queries them by actor, action and time, newest first", async () => {
    const audit = new AuditLogRepository(disposable.database.db);
    await audit.record({ actorId: adminId, actorEmail: "admin@example.com", action: "user.create", target: "u1", params: { email: "x@y.z", password: "hunter2" }, outcome: AuditOutcome.OK });
    await audit.record({ actorId: null, actorEmail: "someone@example.com", action: "catalog.update", params: {}, outcome: AuditOutcome.DENIED });
    const all = await audit.query();
    expect(all.map((e) => e.action)).toEqual(["catalog.update", "user.create"]);
    expect(all[1]?.params).toEqual({ email: "x@y.z", password: "[redacted]" });
    expect((await audit.query({ actorId: adminId })).map((e) => e.action)).toEqual(["user.create"]);
    expect((await audit.query({ action: "catalog.update" }))[0]?.outcome).toBe(AuditOutcome.DENIED);
    expect(await audit.query({ from: new Date(Date.now() + 60_000) })).toEqual([]);
    expect((await audit.query({ oldestFirst: true }))[0]?.action).toBe("user.create");
  });
});
