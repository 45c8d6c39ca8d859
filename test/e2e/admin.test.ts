// The admin side in a real browser against a real `apex serve`: an admin looks a model up in the bundled prices,
// overrides it, edits its price with a reason, sees the new version in the history and the field change in the diff,
// and finds the change in the audit log; creates an account on the Users page; asks the chat for a large synthetic
// dataset, modifies the job at the approval prompt, finds the generated corpus on the Datasets page and sets its
// retention. A non-admin then sees no admin page, and the admin routes answer 403.
import { beforeAll, expect, it } from "vitest";
import { BUNDLED_CATALOG_SOURCE, CatalogScope } from "../../src/protocol/catalog.ts";
import { Decision, RoutePath } from "../../src/protocol/names.ts";
import { afterE2e, e2eOutput, startE2e, type E2e } from "./harness.ts";
import { ask, createFirstAdmin, login, openChat, RUN_TIMEOUT_MS, runEnd, signIn } from "./user-steps.ts";

const ADMIN = { email: "admin@example.com", password: "admin-password-1" };
const USER = { email: "user@example.com", password: "user-password-1" };
const MODEL = "gpt-4o-mini";
const OLD_PRICE = 0.15;
const NEW_PRICE = 0.1234;
const REASON = "Provider cut the input price";
const MODIFIED_RECORDS = 2000;

let e2e: E2e;

beforeAll(async () => {
  e2e = await startE2e();
}, 300_000);
afterE2e(() => e2e);

it(
  "lets an admin change a price with a reason, then shows it in the history, the diff and the audit log",
  async () => {
    const { page } = e2e;
    await page.goto("/");
    await page.getByTestId("setup-form").waitFor();
    await createFirstAdmin(page, ADMIN);

    // the catalog starts as the bundled price data alone: the admin looks the model up (its bundled prices), overrides
    // it from there as it is (v1), then changes its price (v2)
    await page.getByTestId("nav-catalog").click();
    const catalog = page.getByTestId("admin-catalog");
    await catalog.getByTestId("catalog-lookup-model").fill(MODEL);
    await catalog.getByTestId("catalog-lookup-go").click();
    const found = catalog.getByTestId("catalog-lookup-result");
    await found.waitFor();
    expect(await found.getAttribute("data-source")).toBe(BUNDLED_CATALOG_SOURCE);
    await found.getByTestId("catalog-lookup-override").click();
    const added = page.getByTestId("catalog-edit");
    expect(await added.locator("h3").textContent()).toBe(`Edit ${MODEL}`);
    expect(Number(await added.getByTestId("catalog-input_per_mtok").inputValue())).toBe(OLD_PRICE);
    await added.getByTestId("catalog-reason").fill("Start from the list price");
    await added.getByTestId("catalog-save").click();
    const row = catalog.locator(`[data-testid="catalog-entry"][data-model="${MODEL}"]`);
    await row.waitFor();

    await row.getByTestId("catalog-edit-model").click();
    const form = page.getByTestId("catalog-edit");
    await form.getByTestId("catalog-input_per_mtok").fill(String(NEW_PRICE));
    await form.getByTestId("catalog-reason").fill(REASON);
    await form.getByTestId("catalog-save").click();

    // the lookup on screen follows the catalog: the model now comes from the global catalog at its new price
    const current = catalog.locator(`[data-testid="catalog-lookup-result"][data-source="${CatalogScope.GLOBAL}"]`);
    await expect.poll(async () => ((await current.count()) === 0 ? "" : await current.textContent()), { timeout: 30_000 }).toContain(`input ${NEW_PRICE},`);
    const latest = catalog.getByTestId("catalog-version").first();
    await expect.poll(() => latest.getAttribute("data-version")).toBe("2");
    expect(await latest.textContent()).toContain(REASON);
    expect(await latest.textContent()).toContain(ADMIN.email);
    await expect.poll(() => row.textContent()).toContain(String(NEW_PRICE));

    await page.getByTestId("diff-from").selectOption("1");
    await page.getByTestId("diff-to").selectOption("2");
    await page.getByTestId("diff-show").click();
    const change = page.getByTestId("catalog-diff").locator(`[data-testid="diff-change"][data-model="${MODEL}"][data-field="input_per_mtok"]`);
    await change.waitFor();
    expect(await change.textContent()).toContain(String(OLD_PRICE));
    expect(await change.textContent()).toContain(String(NEW_PRICE));
    expect(await page.getByTestId("diff-change").count()).toBe(1);
    await e2e.screenshot("admin-1-catalog-diff");

    await page.getByTestId("nav-audit").click();
    const entry = page.getByTestId("audit-log").locator('[data-testid="audit-entry"][data-action="catalog.update"]');
    await entry.first().waitFor();
    expect(await entry.first().textContent()).toContain(ADMIN.email);
    expect(await entry.first().textContent()).toContain(REASON);
    expect(await entry.count()).toBe(2);
    await e2e.screenshot("admin-2-audit-log");

    await page.getByTestId("nav-users").click();
    const users = page.getByTestId("admin-users");
    await users.locator(`[data-testid="admin-user"][data-email="${ADMIN.email}"]`).waitFor();
    const create = users.getByTestId("create-user");
    await create.getByLabel("Email").fill(USER.email);
    await create.getByLabel("Password").fill(USER.password);
    await create.getByRole("button").click();
    await users.locator(`[data-testid="admin-user"][data-email="${USER.email}"]`).waitFor();
    await e2e.screenshot("admin-3-users");
    expect(e2e.pageErrors).toEqual([]);
  },
  RUN_TIMEOUT_MS,
);

it(
  "asks before a large synthetic job, runs it as modified at the prompt, and lists the corpus",
  async () => {
    const { page } = e2e;
    await openChat(page);
    const card = await ask(page, "generate 200000 records of a support chat workload");
    const prompt = card.getByTestId("approval-prompt");
    await prompt.waitFor({ timeout: RUN_TIMEOUT_MS });
    expect(await prompt.getAttribute("data-state")).toBe("open");
    expect(await prompt.getByTestId("approval-option").count()).toBe(3);
    await e2e.screenshot("admin-4-approval-prompt");

    await prompt.locator(`[data-testid="approval-option"][data-option="${Decision.MODIFY}"]`).click();
    await prompt.getByTestId("approval-records").fill(String(MODIFIED_RECORDS));
    await prompt.getByTestId("approval-send").click();
    await expect.poll(() => prompt.getAttribute("data-decision")).toBe(Decision.MODIFY);
    expect(await prompt.locator('[data-testid="approval-option"]:not([disabled])').count()).toBe(0);
    expect(await runEnd(page)).toBe("completed");
    await e2e.screenshot("admin-5-approval-answered");

    await page.getByTestId("nav-corpora").click();
    const job = page.getByTestId("synthetic-job").first();
    await expect.poll(() => job.getAttribute("data-status"), { timeout: RUN_TIMEOUT_MS }).toBe("completed");
    const corpusName = (await job.getAttribute("data-corpus")) ?? "";
    const corpus = page.locator(`[data-testid="corpus"][data-corpus="${corpusName}"]`);
    await corpus.waitFor();
    expect(await corpus.textContent()).toContain(MODIFIED_RECORDS.toLocaleString("en-US"));
    // the dataset's own retention: set to 30 days, then back to the server's default
    await corpus.locator("td").first().getByRole("button").click();
    const retention = page.getByTestId("corpus-retention");
    expect(await retention.getAttribute("data-days")).toBe("");
    await retention.getByTestId("corpus-retention-days").fill("30");
    await retention.getByTestId("corpus-retention-save").click();
    await expect.poll(() => retention.getAttribute("data-days")).toBe("30");
    expect(await retention.textContent()).toContain("Keeps records for 30 days.");
    await e2e.screenshot("admin-6-datasets");
    await retention.getByTestId("corpus-retention-default").click();
    await expect.poll(() => retention.getAttribute("data-days")).toBe("");
    expect(e2e.pageErrors).toEqual([]);
  },
  RUN_TIMEOUT_MS * 2,
);

it(
  "shows a non-admin no admin page, and the admin routes refuse them",
  async () => {
    const context = await e2e.browser.newContext({ baseURL: e2e.server.url, viewport: { width: 1280, height: 860 } });
    try {
      const page = await context.newPage();
      await page.goto("/");
      await signIn(page, USER);
      await page.getByTestId("nav-corpora").waitFor();
      // the role comes with /api/me; the datasets entry is there for everyone, the admin ones are not
      await expect.poll(() => page.locator(".role").textContent()).toBe("user");
      for (const nav of ["nav-catalog", "nav-users", "nav-audit"]) expect(await page.getByTestId(nav).count()).toBe(0);
      await page.screenshot({ path: e2eOutput("admin-7-non-admin.png"), fullPage: true });
      await page.getByTestId("nav-data").click();
      await expect.poll(() => page.getByTestId("quota-line").textContent()).toMatch(/records ingested today/);
      await page.screenshot({ path: e2eOutput("admin-8-quota-line.png"), fullPage: true });

      const token = await login(e2e.server.url, USER);
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const refused = [
        await fetch(e2e.server.url + RoutePath.ADMIN_USERS, { headers }),
        await fetch(e2e.server.url + RoutePath.AUDIT, { headers }),
        await fetch(e2e.server.url + RoutePath.CATALOG_VERSIONS, {
          method: "POST",
          headers,
          body: JSON.stringify({ scope: CatalogScope.GLOBAL, changes: { set: [], remove: [] }, reason: "not allowed" }),
        }),
      ];
      expect(refused.map((response) => response.status)).toEqual([403, 403, 403]);
    } finally {
      await context.close();
    }
  },
  RUN_TIMEOUT_MS,
);
