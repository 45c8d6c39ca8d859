// Refused admin calls in the audit log, on a real server (PGlite, and PostgreSQL when DATABASE_URL is set): a user's
// 59 KB denied call is stored with its parameters cut to 4 KB (the entry says so and keeps the full size), and a flood
// of them is recorded 20 a minute, then summed up in one entry instead of one row each.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatalogScope } from "../../src/protocol/catalog.ts";
import { ErrorCode, RoutePath } from "../../src/protocol/names.ts";
import { AuditAction } from "../../src/server/audit-actions.ts";
import { AuditLogRepository, AuditOutcome } from "../../src/store/audit-log.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { post, startSignedIn, type TestServer } from "./test-server.ts";

const MALLORY = { email: "denied-mallory@example.com", password: "mallory-password-1" };
const KEPT_BYTES = 4096;
const PER_MINUTE = 20;
const FLOOD = 60;

/** A catalog edit of about `bytes` bytes of JSON: model names to remove. */
function bigEdit(bytes: number): Record<string, unknown> {
  const remove = Array.from({ length: Math.ceil(bytes / 24) }, (_, i) => `model-to-remove-${String(i).padStart(5, "0")}`);
  return { scope: CatalogScope.GLOBAL, reason: "flooding the audit log", changes: { set: [], remove } };
}

describe.each(storeTargets())("denied admin calls in the audit log on $name", (target) => {
  let server: TestServer;
  let malloryId = "";
  let token = "";

  beforeAll(async () => {
    ({ server, userId: malloryId, token } = await startSignedIn(target, MALLORY));
  });
  afterAll(async () => {
    await server.stop();
  });

  const deniedOf = () => new AuditLogRepository(server.app.database.db).query({ actorId: malloryId, oldestFirst: true, limit: 1000 });

  it("keeps 4 KB of a 59 KB refused call's parameters and says it cut them", async () => {
    const body = bigEdit(59 * 1024);
    expect(JSON.stringify(body).length).toBeGreaterThan(58 * 1024);
    const refused = await post(server.url + RoutePath.CATALOG_VERSIONS, body, token);
    expect(refused.status).toBe(403);
    expect((refused.body.error as { code: string }).code).toBe(ErrorCode.FORBIDDEN);
    const [entry] = await deniedOf();
    expect(entry).toMatchObject({ action: AuditAction.CATALOG_UPDATE, outcome: AuditOutcome.DENIED, params: { truncated: true, kept_bytes: KEPT_BYTES } });
    expect(entry!.params.original_bytes).toBeGreaterThan(58 * 1024);
    expect(Buffer.byteLength(JSON.stringify(entry!.params))).toBeLessThan(KEPT_BYTES + 512);
    expect(String(entry!.params.preview)).toContain("model-to-remove-00000");
  });

  it(`records ${PER_MINUTE} refused calls a minute, then one summary for the rest of the flood`, async () => {
    const before = (await deniedOf()).length;
    for (let i = 0; i < FLOOD; i += 1) {
      expect((await post(server.url + RoutePath.CATALOG_VERSIONS, bigEdit(2 * 1024), token)).status).toBe(403);
    }
    const entries = (await deniedOf()).slice(before);
    // The first test's call counts in the same minute.
    expect(entries.filter((e) => e.action === AuditAction.CATALOG_UPDATE)).toHaveLength(PER_MINUTE - 1);
    const summaries = entries.filter((e) => e.action === AuditAction.DENIED_SUPPRESSED);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ outcome: AuditOutcome.DENIED, params: { first_suppressed_action: AuditAction.CATALOG_UPDATE, limit_per_minute: PER_MINUTE } });
    expect(entries).toHaveLength(PER_MINUTE);
  });
});
