// What a person does in the web UI, as the browser scenarios share it: create the first admin, sign in, load the demo
// data, ask a question, wait for the run's card to end. Everything goes through the page (clicks and typing); the few
// REST calls here are the ones the UI cannot make for a test (a login for a token, an admin creating an account).
import { readFile } from "node:fs/promises";
import type { Download, Locator, Page } from "playwright-core";
import type { RunEvent } from "../../src/protocol/events.ts";
import { RoutePath } from "../../src/protocol/names.ts";

export interface Credentials {
  email: string;
  password: string;
}

/** The pipeline over the 20k demo records takes seconds alone, much longer with other suites on the 2 cores. */
export const RUN_TIMEOUT_MS = 180_000;
const DEMO_TIMEOUT_MS = 120_000;
const FINISHED_RUN = '[data-testid="run-card"]:not([data-state="running"]):not([data-state="starting"])';

async function submitCredentials(form: Locator, who: Credentials): Promise<void> {
  await form.getByLabel("Email").fill(who.email);
  await form.getByLabel("Password").fill(who.password);
  await form.getByRole("button").click();
}

/** The first-run setup form of a fresh install: the account becomes the admin and lands in the workspace. */
export async function createFirstAdmin(page: Page, who: Credentials): Promise<void> {
  await submitCredentials(page.getByTestId("setup-form"), who);
  await page.getByTestId("thread-list").waitFor({ state: "attached" });
}

export async function signIn(page: Page, who: Credentials): Promise<void> {
  await submitCredentials(page.getByTestId("signin-form"), who);
  await page.getByTestId("thread-list").waitFor({ state: "attached" });
}

/** Data page → "Load demo data"; resolves with the ingest summary once it shows. */
export async function loadDemoData(page: Page): Promise<Locator> {
  await page.getByTestId("nav-data").click();
  await page.getByTestId("data-page").waitFor();
  await page.getByTestId("load-demo").click();
  const summary = page.getByTestId("ingest-summary");
  await summary.waitFor({ timeout: DEMO_TIMEOUT_MS });
  return summary;
}

export async function openChat(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Chat", exact: true }).click();
}

/** "+ New conversation", then waits until the new thread is on screen: typing before would go to the old chat. */
export async function newConversation(page: Page): Promise<void> {
  const before = await page.getByTestId("thread").count();
  await page.getByTestId("new-thread").click();
  await page.getByTestId("thread").nth(before).waitFor();
  // the welcome shows once the (empty) thread is loaded; a message sent earlier would be replaced by the loaded list
  await page.getByTestId("example-prompt").first().waitFor();
}

/** Types the question and sends it (the button waits for the socket to be connected); resolves with its run card. */
export async function ask(page: Page, question: string): Promise<Locator> {
  await page.getByTestId("chat-input").fill(question);
  await page.getByTestId("send").click();
  const card = page.getByTestId("run-card").last();
  await card.and(page.locator("[data-run-id]")).waitFor();
  return card;
}

/** Waits until the last run card shows a terminal state, and returns that state. */
export async function runEnd(page: Page): Promise<string> {
  const card = page.locator(FINISHED_RUN).last();
  await card.waitFor({ timeout: RUN_TIMEOUT_MS });
  return (await card.getAttribute("data-state")) ?? "";
}

/** A session token as the UI would get one, for the calls only an API client can make. */
export async function login(baseUrl: string, who: Credentials): Promise<string> {
  const response = await fetch(baseUrl + RoutePath.AUTH_LOGIN, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(who),
  });
  if (!response.ok) throw new Error(`login of ${who.email} answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** The run's durable log as the REST API serves it to its owner. */
export async function loggedEvents(baseUrl: string, token: string, runId: string): Promise<RunEvent[]> {
  const response = await fetch(baseUrl + RoutePath.RUN_EVENTS.replace(":run_id", encodeURIComponent(runId)), {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`the events of run ${runId} answered ${response.status}`);
  return ((await response.json()) as { events: RunEvent[] }).events;
}

/** Clicks a download button and returns the file the browser saved, as text. */
export async function downloaded(page: Page, button: Locator): Promise<{ name: string; text: string }> {
  const [download]: [Download, void] = await Promise.all([page.waitForEvent("download"), button.click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), text: await readFile(path, "utf8") };
}

/** One change of a watched attribute, as the page saw it. */
export interface AttributeChange {
  key: string;
  value: string;
  at: number;
}

/**
 * Records, inside the page, every value the `attribute` of the elements matching `selector` takes (keyed by their
 * `keyAttribute`), from now on: a MutationObserver sees each DOM commit, which polling from the test could miss.
 * Returns a function reading the changes so far.
 */
export async function watchAttribute(page: Page, selector: string, keyAttribute: string, attribute: string): Promise<() => Promise<AttributeChange[]>> {
  const slot = `__watch_${Math.random().toString(36).slice(2)}`;
  const [at, sel, key, attr] = [slot, selector, keyAttribute, attribute].map((value) => JSON.stringify(value));
  // A script, not a function: the project's types have no DOM outside src/web.
  await page.evaluate(`(() => {
    const changes = [];
    const last = new Map();
    const scan = () => {
      for (const element of document.querySelectorAll(${sel})) {
        const value = element.getAttribute(${attr}) ?? "";
        if (last.get(element) === value) continue;
        last.set(element, value);
        changes.push({ key: element.getAttribute(${key}) ?? "", value, at: performance.now() });
      }
    };
    scan();
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: [${attr}] });
    window[${at}] = changes;
  })()`);
  return () => page.evaluate(`window[${at}] ?? []`);
}

/** The number in a figure such as "$1,234.56/mo" or "20,000". */
export function numberIn(text: string): number {
  return Number(text.replace(/[^0-9.]/g, ""));
}
