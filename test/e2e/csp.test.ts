// The web UI under the server's Content-Security-Policy (issue 13, finding 10), in a real Chromium against a real
// `apex serve`: the page loads with the policy in force, the first-run setup and a later sign-in work, the live socket
// connects, a run's report draws its charts and downloads work, and the browser reports no violation of the policy
// (neither a `securitypolicyviolation` event nor a console message about it).
import { beforeAll, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { afterE2e, startE2e, type E2e } from "./harness.ts";
import { createFirstAdmin, downloaded, loadDemoData, openChat, RUN_TIMEOUT_MS, runEnd, signIn } from "./user-steps.ts";

const ADMIN = { email: "csp-admin@example.com", password: "csp-admin-password-1" };
const QUESTION = "Where can I cut my LLM costs?";

let e2e: E2e;
const violations: string[] = [];

/** Records every CSP violation a page of `context` sees, from the DOM event and from the console. */
async function watchViolations(context: BrowserContext): Promise<void> {
  await context.exposeFunction("__apexCspViolation", (text: string) => violations.push(text));
  // Runs in the page, before its own scripts (a string: this file is type-checked for Node, not the DOM).
  await context.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (e) =>
      window.__apexCspViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber));`,
  });
}

function watchConsole(page: Page): void {
  page.on("console", (message) => {
    if (/content security policy/i.test(message.text())) violations.push(`console: ${message.text()}`);
  });
}

beforeAll(async () => {
  e2e = await startE2e();
  await watchViolations(e2e.context);
  watchConsole(e2e.page);
}, 300_000);
afterE2e(() => e2e);

it("loads with the policy in force and signs the first admin in", async () => {
  const response = await e2e.page.goto("/");
  const policy = (await response?.allHeaders())?.["content-security-policy"] ?? "";
  expect(policy).toContain("default-src 'self'");
  expect(policy).toContain("frame-ancestors 'none'");
  await e2e.page.getByTestId("setup-form").waitFor();
  await createFirstAdmin(e2e.page, ADMIN);
  await expect.poll(() => e2e.page.getByTestId("connection-status").getAttribute("data-state")).toBe("open");
  expect(violations).toEqual([]);
  expect(e2e.pageErrors).toEqual([]);
});

it("runs an analysis whose report draws its charts and downloads, with no violation", async () => {
  const { page } = e2e;
  await loadDemoData(page);
  await openChat(page);
  await page.getByTestId("example-prompt").filter({ hasText: QUESTION }).click();
  expect(await runEnd(page)).toBe("completed");
  for (const chart of ["chart-by-day", "chart-by-model"]) await page.getByTestId(chart).locator("canvas").waitFor();
  const json = await downloaded(page, page.getByTestId("export-json"));
  expect(json.name).toMatch(/\.json$/);
  expect(violations).toEqual([]);
  expect(e2e.pageErrors).toEqual([]);
}, RUN_TIMEOUT_MS + 120_000);

it("signs in again in a fresh browser context, with no violation", async () => {
  const context = await e2e.browser.newContext({ baseURL: e2e.server.url });
  try {
    await watchViolations(context);
    const page = await context.newPage();
    watchConsole(page);
    await page.goto("/");
    await page.getByTestId("signin-form").waitFor();
    await signIn(page, ADMIN);
    await expect.poll(() => page.getByTestId("connection-status").getAttribute("data-state")).toBe("open");
  } finally {
    await context.close();
  }
  expect(violations).toEqual([]);
});
