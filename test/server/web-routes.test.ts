// The web UI served by a real server: a built dir (a temporary one with a fake index.html and a hashed asset) is served
// at `/` with the SPA fallback for page paths, long caching for assets and none for index.html; server paths and
// missing files stay 404s; without a build, `/` says how to build the UI.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvVar, ErrorCode, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { startServer, type TestServer } from "./test-server.ts";

const INDEX_HTML = "<!doctype html><html><head><title>Apex test build</title></head><body><div id=root></div></body></html>";
const ASSET = "assets/index-3f2a9c1b.js";
const ASSET_JS = "console.log('apex');";
const [pglite] = storeTargets({});

describe("web UI with a build", () => {
  let webDir = "";
  let server: TestServer;

  beforeAll(async () => {
    webDir = await mkdtemp(join(tmpdir(), "apex-web-"));
    await mkdir(join(webDir, "assets"));
    await writeFile(join(webDir, "index.html"), INDEX_HTML);
    await writeFile(join(webDir, ASSET), ASSET_JS);
    server = await startServer(pglite!, { [EnvVar.WEB_DIR]: webDir });
  });
  afterAll(async () => {
    await server.stop();
    await rm(webDir, { recursive: true, force: true });
  });

  it("serves index.html at / without caching", async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(await response.text()).toBe(INDEX_HTML);
  });

  it("serves hashed assets with a long, immutable cache", async () => {
    const response = await fetch(`${server.url}/${ASSET}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("javascript");
    expect(response.headers.get("cache-control")).toContain("immutable");
    expect(response.headers.get("cache-control")).toContain("max-age=31536000");
    expect(await response.text()).toBe(ASSET_JS);
  });

  it("answers index.html for the browser app's own paths", async () => {
    for (const path of ["/data", "/threads/0190-abc", "/settings/?tab=keys"]) {
      const response = await fetch(server.url + path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("cache-control"), path).toBe("no-cache");
      expect(await response.text(), path).toBe(INDEX_HTML);
    }
  });

  it("keeps server paths and missing files as 404s, and the API as it was", async () => {
    for (const path of ["/api/nothing-here", "/assets/missing-00000000.js", "/favicon.ico", `${RoutePath.HEALTH}/deeper`]) {
      const response = await fetch(server.url + path);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code, path).toBe(ErrorCode.NOT_FOUND);
    }
    expect(await (await fetch(server.url + RoutePath.HEALTH)).json()).toEqual({ status: "ok" });
    expect((await fetch(server.url + RoutePath.SETUP)).status).toBe(200);
    expect((await fetch(server.url + RoutePath.THREADS)).status).toBe(401);
  });

  it("does not answer other methods with the app", async () => {
    const response = await fetch(`${server.url}/data`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(response.status).toBe(404);
  });
});

describe("web UI without a build", () => {
  let server: TestServer;
  let emptyDir = "";

  beforeAll(async () => {
    emptyDir = await mkdtemp(join(tmpdir(), "apex-web-empty-"));
    server = await startServer(pglite!, { [EnvVar.WEB_DIR]: emptyDir });
  });
  afterAll(async () => {
    await server.stop();
    await rm(emptyDir, { recursive: true, force: true });
  });

  it("says at / that the UI is not built and how to build it", async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    expect(page).toContain("not built");
    expect(page).toContain("npm run build:web");
    expect(await (await fetch(server.url + RoutePath.HEALTH)).json()).toEqual({ status: "ok" });
  });
});
