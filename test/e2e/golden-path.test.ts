// The golden path of a new user in a real browser against a real `apex serve`: first-run setup, demo data from the Data
// page, one question, the run card live to its end, the report with savings, charts, an opened opportunity and both
// downloads. Then isolation: a second account, signed in in a fresh browser context, sees none of it. The wall time
// from the first page load to the savings on screen is measured (not asserted) into screenshots/golden-path-timing.json.
import { writeFile } from "node:fs/promises";
import { beforeAll, expect, it } from "vitest";
import { AgentName, RoutePath } from "../../src/protocol/names.ts";
import { ReportSchema } from "../../src/protocol/report.ts";
import { afterE2e, e2eOutput, startE2e, type E2e } from "./harness.ts";
import {
  createFirstAdmin,
  downloaded,
  loadDemoData,
  login,
  numberIn,
  openChat,
  RUN_TIMEOUT_MS,
  runEnd,
  signIn,
  watchAttribute,
} from "./user-steps.ts";

const ADMIN = { email: "admin@example.com", password: "admin-password-1" };
const SECOND = { email: "second@example.com", password: "second-password-1" };
const QUESTION = "Where can I cut my LLM costs?";
const EXPECTED_PIPELINE = [AgentName.TRIAGE, AgentName.DATA, AgentName.OPTIMIZE, AgentName.ACTIONS, AgentName.REPORT];

let e2e: E2e;

/** The chat scrolls inside its pane, out of a full-page shot: a viewport as tall as the messages puts all of it in. */
async function screenshotWholeChat(name: string): Promise<void> {
  const { page } = e2e;
  const size = page.viewportSize() ?? { width: 1280, height: 860 };
  const height = await page.getByTestId("messages").evaluate((messages) => messages.scrollHeight);
  await page.setViewportSize({ width: size.width, height: Math.max(size.height, height + 200) });
  await e2e.screenshot(name);
  await page.setViewportSize(size);
}

beforeAll(async () => {
  e2e = await startE2e();
}, 300_000);
afterE2e(() => e2e);

it(
  "takes a new user from first-run setup to a report with savings, charts and downloads",
  async () => {
    const { page } = e2e;
    const loadedAt = Date.now();
    await page.goto("/");
    await page.getByTestId("setup-form").waitFor();
    await e2e.screenshot("golden-1-setup");
    await createFirstAdmin(page, ADMIN);
    await expect.poll(() => page.getByTestId("connection-status").getAttribute("data-state")).toBe("open");
    await e2e.screenshot("golden-2-empty-chat");

    const summary = await loadDemoData(page);
    const ingested = numberIn((await summary.locator("dd.good").textContent()) ?? "");
    expect(ingested).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId("usage-summary").textContent()).toMatch(/records/);
    await e2e.screenshot("golden-3-data-loaded");

    await openChat(page);
    const steps = await watchAttribute(page, '[data-testid="agent-step"]', "data-agent", "data-state");
    const chips = await watchAttribute(page, '[data-testid="tool-chip"]', "data-tool", "data-state");
    const example = page.getByTestId("example-prompt").filter({ hasText: QUESTION });
    await example.click();
    const card = page.getByTestId("run-card").last();
    await card.locator('[data-testid="tool-chip"]').first().waitFor({ timeout: RUN_TIMEOUT_MS });
    await e2e.screenshot("golden-4-run-live");

    expect(await runEnd(page)).toBe("completed");
    const savings = page.getByTestId("total-savings");
    await savings.waitFor();
    const reportAt = Date.now();
    await writeFile(
      e2eOutput("golden-path-timing.json"),
      `${JSON.stringify({ first_load_to_savings_ms: reportAt - loadedAt, demo_records: ingested }, null, 2)}\n`,
    );
    expect(numberIn((await savings.textContent()) ?? "")).toBeGreaterThan(0);

    // The steps went pending → running → done one after the other, in pipeline order, and nothing ran twice; a step
    // the run decided to skip (the Data Guide, as there is data) never ran.
    const stepChanges = await steps();
    const ran = [...new Set(stepChanges.filter((c) => c.value === "running" || c.value === "done").map((c) => c.key))];
    expect(ran).toEqual(EXPECTED_PIPELINE);
    for (const agent of new Set(stepChanges.map((c) => c.key))) {
      const states = stepChanges.filter((c) => c.key === agent).map((c) => c.value);
      const expected = ran.includes(agent) ? ["pending", "running", "done"] : ["pending", "skipped"];
      const ranks = states.map((s) => expected.indexOf(s));
      expect(ranks, `${agent} only moves forward: ${states.join(" → ")}`).toEqual([...ranks].sort((a, b) => a - b));
      expect(ranks, `${agent}: ${states.join(" → ")}`).not.toContain(-1);
    }
    const firstStart = ran.map((agent) => stepChanges.find((c) => c.key === agent && c.value !== "pending")?.at ?? Infinity);
    expect(firstStart).toEqual([...firstStart].sort((a, b) => a - b));
    for (let i = 1; i < ran.length; i += 1) {
      const previousDone = stepChanges.find((c) => c.key === ran[i - 1] && c.value === "done")?.at ?? Infinity;
      expect(previousDone, `${ran[i - 1]} done before ${ran[i]} starts`).toBeLessThanOrEqual(firstStart[i] ?? -Infinity);
    }
    // each event is its own socket message and its own render, so every running state is on screen at some point
    expect(ran.filter((agent) => stepChanges.some((c) => c.key === agent && c.value === "running"))).toEqual(EXPECTED_PIPELINE);
    // Tool chips appeared while running and all finished.
    const chipChanges = await chips();
    expect(chipChanges.some((c) => c.value === "running")).toBe(true);
    await card.getByTestId("run-summary-toggle").click();
    const finalChips = card.getByTestId("tool-chip");
    expect(await finalChips.count()).toBeGreaterThan(0);
    expect(await card.locator('[data-testid="tool-chip"]:not([data-state="done"])').count()).toBe(0);
    const finalSteps = await card.getByTestId("agent-step").evaluateAll((elements) => elements.map((e) => `${e.getAttribute("data-agent")}:${e.getAttribute("data-state")}`));
    // every other agent of the announced pipeline (the Data Guide, as there is data) was skipped
    expect(finalSteps.filter((step) => !step.endsWith(":skipped"))).toEqual(EXPECTED_PIPELINE.map((agent) => `${agent}:done`));
    expect(finalSteps.length).toBeGreaterThan(EXPECTED_PIPELINE.length);
    await screenshotWholeChat("golden-5-report");

    const rows = page.getByTestId("opportunity-row");
    const rowCount = await rows.count();
    expect(rowCount).toBeGreaterThan(0);
    for (const chart of ["chart-by-day", "chart-by-model", "chart-by-feature"]) {
      await page.getByTestId(chart).locator("canvas").waitFor();
    }
    await rows.first().click();
    await expect.poll(() => rows.first().getAttribute("aria-expanded")).toBe("true");
    const details = page.locator(".opportunity-details");
    await details.waitFor();
    expect(await details.getByRole("heading", { name: "Evidence" }).count()).toBe(1);
    expect(await details.getByRole("heading", { name: "Actions" }).count()).toBe(1);
    expect(await details.locator("ol li").count()).toBeGreaterThan(0);
    await screenshotWholeChat("golden-6-opportunity-open");

    const json = await downloaded(page, page.getByTestId("export-json"));
    expect(json.name).toMatch(/\.json$/);
    const report = ReportSchema.parse(JSON.parse(json.text));
    expect(report.opportunities.length).toBe(rowCount);
    expect(report.total_est_monthly_savings_usd).toBeGreaterThan(0);
    const markdown = await downloaded(page, page.getByTestId("export-markdown"));
    expect(markdown.name).toMatch(/\.md$/);
    expect(markdown.text).toContain(report.executive_summary);
    expect(markdown.text).toContain("## Opportunities");
    expect(await page.locator(".report .summary").textContent()).toBe(report.executive_summary);
    expect(e2e.pageErrors).toEqual([]);
  },
  RUN_TIMEOUT_MS + 240_000,
);

it("shows a second account none of the first account's threads or runs", async () => {
  const admin = await login(e2e.server.url, ADMIN);
  const created = await fetch(e2e.server.url + RoutePath.USERS, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
    body: JSON.stringify(SECOND),
  });
  expect(created.status).toBe(201);
  // The first user does have a thread: the emptiness below is isolation, not an empty server.
  await e2e.page.reload();
  await expect.poll(() => e2e.page.getByTestId("thread").count()).toBeGreaterThan(0);

  const context = await e2e.browser.newContext({ baseURL: e2e.server.url, viewport: { width: 1280, height: 860 } });
  try {
    const page = await context.newPage();
    const pageErrors: Error[] = [];
    page.on("pageerror", (error) => pageErrors.push(error));
    await page.goto("/");
    await signIn(page, SECOND);
    await expect.poll(() => page.getByTestId("connection-status").getAttribute("data-state")).toBe("open");
    await page.getByTestId("example-prompt").first().waitFor();
    expect(await page.getByTestId("thread").count()).toBe(0);
    expect(await page.getByTestId("run-card").count()).toBe(0);
    expect(await page.getByTestId("thread-list").textContent()).toBe("");
    await page.screenshot({ path: e2eOutput("isolation-second-user-chat.png"), fullPage: true });
    await page.getByTestId("nav-data").click();
    await expect.poll(() => page.getByTestId("usage-summary").textContent()).toContain("Nothing yet");
    await page.screenshot({ path: e2eOutput("isolation-second-user-data.png"), fullPage: true });
    expect(pageErrors).toEqual([]);
  } finally {
    await context.close();
  }
}, 120_000);
