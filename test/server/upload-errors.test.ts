// An upload's errors name the upload, never the server's temp file (issue 13, finding 9: "Could not recognise the usage
// format of /srv/apex/.apex/uploads/<uuid>.upload …" told every client where the server keeps its data).
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { startSignedIn, type TestServer } from "./test-server.ts";

const USER = { email: "paths@example.com", password: "paths-password-12" };

describe.each(storeTargets())("upload error messages on $name", (target) => {
  let server: TestServer;
  let token = "";

  beforeAll(async () => {
    ({ server, token } = await startSignedIn(target, USER));
  });

  afterAll(async () => {
    await server.stop();
  });

  async function uploadError(body: Uint8Array | string): Promise<{ status: number; message: string }> {
    const response = await fetch(server.url + RoutePath.USAGE, { method: "POST", headers: { authorization: `Bearer ${token}` }, body });
    const reply = (await response.json()) as { error?: { message: string } };
    return { status: response.status, message: reply.error?.message ?? "" };
  }

  const cases: [string, () => Uint8Array | string][] = [
    ["a file of no known format", () => `${JSON.stringify({ colour: "blue", size: 3 })}\n`.repeat(40)],
    ["a gzip cut short", () => gzipSync(Buffer.from(`${JSON.stringify({ id: "r", model: "m" })}\n`.repeat(5_000))).subarray(0, 400)],
  ];

  it.each(cases)("%s: the message names the upload, not a server path", async (_name, body) => {
    const { status, message } = await uploadError(body());
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(message).not.toContain(server.dataDir);
    expect(message).not.toMatch(/\.upload\b|\/uploads\//);
    expect(message.toLowerCase()).toContain("the upload");
  });
});
