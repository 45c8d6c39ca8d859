// The multi-node part of the server configuration: a fresh node id per start unless set, lease timings that keep a
// live run from looking dead, and the shutdown deadline.
import { describe, expect, it } from "vitest";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import { parseServerConfig } from "./config.ts";

describe("lease and shutdown configuration", () => {
  it("defaults to a new node id per start, a 15 s lease renewed every 5 s, and a 30 s shutdown deadline", () => {
    const first = parseServerConfig({});
    expect(first).toMatchObject({ leaseMs: 15_000, leaseRenewMs: 5_000, sweepMs: 5_000, shutdownDeadlineMs: 30_000 });
    expect(first.nodeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(parseServerConfig({}).nodeId).not.toBe(first.nodeId);
  });

  it("reads them from the env", () => {
    const env = { [EnvVar.NODE_ID]: "node-7", [EnvVar.LEASE_MS]: "900", [EnvVar.LEASE_RENEW_MS]: "200", [EnvVar.SWEEP_MS]: "300", [EnvVar.SHUTDOWN_DEADLINE_MS]: "0" };
    expect(parseServerConfig(env)).toMatchObject({ nodeId: "node-7", leaseMs: 900, leaseRenewMs: 200, sweepMs: 300, shutdownDeadlineMs: 0 });
  });

  it("refuses a renewal interval that is not shorter than the lease, naming both variables", () => {
    const error = (() => {
      try {
        parseServerConfig({ [EnvVar.LEASE_MS]: "1000", [EnvVar.LEASE_RENEW_MS]: "1000" });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: ErrorCode.INVALID_CONFIG });
    expect(String((error as Error).message)).toContain(EnvVar.LEASE_RENEW_MS);
    expect(String((error as Error).message)).toContain(EnvVar.LEASE_MS);
    expect(() => parseServerConfig({ [EnvVar.SHUTDOWN_DEADLINE_MS]: "-1" })).toThrow(EnvVar.SHUTDOWN_DEADLINE_MS);
  });
});
