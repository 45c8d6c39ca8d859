// The smoke test of the browser suite: the real server serves the built web UI, Chromium loads it without errors and a
// fresh install shows the first-run setup; after a server restart on the same data the page loads again.
import { afterAll, beforeAll, expect, it } from "vitest";
import { RoutePath } from "../../src/protocol/names.ts";
import { startE2e, type E2e } from "./harness.ts";

let e2e: E2e;

beforeAll(async () => {
  e2e = await startE2e();
}, 300_000);
afterAll(async () => {
  await e2e?.close();
});

it("serves the web UI, which shows the first-run setup on a fresh install", async () => {
  const response = await e2e.page.goto("/");
  expect(response?.status()).toBe(200);
  expect(await e2e.page.title()).toBe("Apex");
  await e2e.page.getByTestId("setup-form").waitFor({ state: "visible" });
  await e2e.screenshot("smoke-setup");
  expect(e2e.pageErrors).toEqual([]);
});

it("loads again after the server restarts on the same data dir", async () => {
  await e2e.server.restart();
  expect(await (await fetch(e2e.server.url + RoutePath.SETUP)).json()).toEqual({ setup_required: true });
  await e2e.page.reload();
  await e2e.page.getByTestId("setup-form").waitFor({ state: "visible" });
  expect(e2e.pageErrors).toEqual([]);
}, 180_000);
