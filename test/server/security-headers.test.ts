// The security headers of every answer (issue 13, finding 10: none were sent): a strict CSP that forbids framing,
// nosniff, no referrer, on the web UI's page and on the API alike, errors included; HSTS only when the operator says
// the site is served over HTTPS.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvVar, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { startServer, type TestServer } from "./test-server.ts";

const [pglite] = storeTargets({});
const YEAR_S = 31_536_000;

function expectSecurityHeaders(response: Response, what: string): void {
  const csp = response.headers.get("content-security-policy") ?? "";
  expect(csp, what).toContain("default-src 'self'");
  expect(csp, what).toContain("script-src 'self'");
  expect(csp, what).not.toContain("unsafe-inline");
  expect(csp, what).toContain("frame-ancestors 'none'");
  expect(response.headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(response.headers.get("referrer-policy"), what).toBe("no-referrer");
  expect(response.headers.get("x-frame-options"), what).toBe("DENY");
}

describe("security headers", () => {
  let webDir = "";
  let server: TestServer;
  let tls: TestServer;

  beforeAll(async () => {
    webDir = await mkdtemp(join(tmpdir(), "apex-web-"));
    await mkdir(join(webDir, "assets"));
    await writeFile(join(webDir, "index.html"), "<!doctype html><html><head><title>Apex</title></head><body></body></html>");
    server = await startServer(pglite!, { [EnvVar.WEB_DIR]: webDir });
    tls = await startServer(pglite!, { [EnvVar.WEB_DIR]: webDir, [EnvVar.HSTS_MAX_AGE_SECONDS]: String(YEAR_S) });
  });
  afterAll(async () => {
    await server.stop();
    await tls.stop();
    await rm(webDir, { recursive: true, force: true });
  });

  it("are on the web UI, an app page, an API answer, an error and a 404", async () => {
    const answers = {
      "/": await fetch(`${server.url}/`),
      "/datasets": await fetch(`${server.url}/datasets`),
      [RoutePath.SETUP]: await fetch(server.url + RoutePath.SETUP),
      [RoutePath.THREADS]: await fetch(server.url + RoutePath.THREADS),
      "/api/nothing": await fetch(`${server.url}/api/nothing`),
    };
    expect(answers[RoutePath.THREADS].status).toBe(401);
    expect(answers["/api/nothing"].status).toBe(404);
    for (const [path, response] of Object.entries(answers)) {
      expectSecurityHeaders(response, path);
      expect(response.headers.get("strict-transport-security"), path).toBeNull();
    }
  });

  it("add HSTS when the site is said to be served over HTTPS", async () => {
    for (const path of ["/", RoutePath.SETUP]) {
      const response = await fetch(tls.url + path);
      expectSecurityHeaders(response, path);
      expect(response.headers.get("strict-transport-security"), path).toBe(`max-age=${YEAR_S}`);
    }
  });
});
