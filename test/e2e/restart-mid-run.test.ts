// The server restarts while a run is on screen. The page shows the socket going reconnecting → connected, and the run
// card ends in a terminal state that matches the run's durable log exactly: one agent step per agent of the pipeline in
// the state the log says, one tool chip per `tool_executing`, none lost or shown twice across the reconnect.
//
// SIGKILL is the main case: nothing is drained, so the page must resume from its last applied seq on a new process,
// and the run's end (`run_failed {interrupted}`, written by the next start's lease sweeper) reaches it only live or by
// replay after the reconnect. A SIGTERM with the default deadline would let this one-second run finish before the
// socket closes, so the reconnect would have nothing to resume; with no deadline (0 ms) it is the other useful case:
// the server cancels the run as it stops, and the page must show `run_cancelled` whichever side of the reconnect it
// arrives on. Short leases make the sweeper close the killed run within seconds.
import { beforeAll, expect, it } from "vitest";
import type { RunEvent } from "../../src/protocol/events.ts";
import { AgentName, EnvVar, ErrorCode, EventType } from "../../src/protocol/names.ts";
import { afterE2e, startE2e, type E2e } from "./harness.ts";
import { ask, createFirstAdmin, loadDemoData, loggedEvents, login, newConversation, openChat, RUN_TIMEOUT_MS, runEnd, watchAttribute } from "./user-steps.ts";

const ADMIN = { email: "admin@example.com", password: "admin-password-1" };
const QUESTION = "Where can I cut my LLM costs?";
const RESTART_ENV = {
  [EnvVar.LEASE_MS]: "2000",
  [EnvVar.LEASE_RENEW_MS]: "500",
  [EnvVar.SWEEP_MS]: "500",
  [EnvVar.SHUTDOWN_DEADLINE_MS]: "0",
};

let e2e: E2e;

beforeAll(async () => {
  e2e = await startE2e(RESTART_ENV);
  await e2e.page.goto("/");
  await createFirstAdmin(e2e.page, ADMIN);
  await loadDemoData(e2e.page);
  await openChat(e2e.page);
}, 300_000);
afterE2e(() => e2e);

/** What the card must show for each agent of the pipeline, from the log alone (the run is over). */
function expectedSteps(events: readonly RunEvent[]): string[] {
  const started = events.find((e) => e.type === EventType.RUN_STARTED);
  const pipeline = started?.type === EventType.RUN_STARTED ? started.data.pipeline : [];
  const completed = events.at(-1)?.type === EventType.RUN_COMPLETED;
  return pipeline.map((agent) => {
    const mine = events.filter((e) => "agent_name" in e.data && e.data.agent_name === agent).map((e) => e.type);
    if (mine.includes(EventType.AGENT_COMPLETED)) return `${agent}:done`;
    if (mine.includes(EventType.AGENT_ERROR)) return `${agent}:failed`;
    if (mine.includes(EventType.AGENT_STARTED)) return `${agent}:${completed ? "done" : "failed"}`;
    return `${agent}:skipped`;
  });
}

/** One chip per `tool_executing`, in order, in the state its `tool_completed` (or the run's end) gives it. */
function expectedChips(events: readonly RunEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.type !== EventType.TOOL_EXECUTING) return [];
    const end = events.find((c) => c.type === EventType.TOOL_COMPLETED && c.data.tool_call_id === e.data.tool_call_id);
    const ok = end?.type === EventType.TOOL_COMPLETED && end.data.ok;
    return [`${e.data.tool_name}:${ok ? "done" : "failed"}`];
  });
}

/** Asks, restarts the server with `signal` once the run is calling tools, and returns the run's id and log. */
async function restartMidRun(signal: "SIGTERM" | "SIGKILL"): Promise<{ runId: string; events: RunEvent[]; states: string[] }> {
  const { page } = e2e;
  await newConversation(page);
  const connection = await watchAttribute(page, '[data-testid="connection-status"]', "data-testid", "data-state");
  const card = await ask(page, QUESTION);
  const runId = (await card.getAttribute("data-run-id")) ?? "";
  // Optimize is the longest agent (its eight analyses): by then the card holds many events, and more are coming.
  await card.locator(`[data-testid="agent-step"][data-agent="${AgentName.OPTIMIZE}"][data-state="running"]`).waitFor({ timeout: RUN_TIMEOUT_MS });
  await e2e.server.restart(signal);
  await e2e.screenshot(`restart-${signal}-after-restart`);
  await expect.poll(async () => (await connection()).at(-1)?.value, { timeout: 60_000 }).toBe("open");
  await runEnd(page);
  const events = await loggedEvents(e2e.server.url, await login(e2e.server.url, ADMIN), runId);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  return { runId, events, states: (await connection()).map((c) => c.value) };
}

/** The card of the run, details opened, shows exactly what the log holds. */
async function expectCardMatchesLog(runId: string, events: readonly RunEvent[]): Promise<void> {
  const card = e2e.page.locator(`[data-testid="run-card"][data-run-id="${runId}"]`);
  await card.getByTestId("run-summary-toggle").click();
  const steps = await card.getByTestId("agent-step").evaluateAll((all) => all.map((e) => `${e.getAttribute("data-agent")}:${e.getAttribute("data-state")}`));
  const chips = await card.getByTestId("tool-chip").evaluateAll((all) => all.map((e) => `${e.getAttribute("data-tool")}:${e.getAttribute("data-state")}`));
  expect(steps).toEqual(expectedSteps(events));
  expect(chips).toEqual(expectedChips(events));
  expect(chips.length).toBeGreaterThan(0);
}

it(
  "resumes a run after a crash (SIGKILL) and shows it interrupted, nothing lost or doubled",
  async () => {
    const { runId, events, states } = await restartMidRun("SIGKILL");
    expect(states.slice(states.lastIndexOf("reconnecting"))).toEqual(["reconnecting", "open"]);
    const last = events.at(-1);
    expect(last?.type).toBe(EventType.RUN_FAILED);
    expect(last?.type === EventType.RUN_FAILED && last.data.error.code).toBe(ErrorCode.INTERRUPTED);
    const card = e2e.page.locator(`[data-testid="run-card"][data-run-id="${runId}"]`);
    expect(await card.getAttribute("data-state")).toBe("failed");
    expect(await card.getByTestId("run-error").count()).toBe(1);
    await expectCardMatchesLog(runId, events);
    await e2e.screenshot("restart-SIGKILL-run-interrupted");
    expect(e2e.pageErrors).toEqual([]);
  },
  RUN_TIMEOUT_MS + 120_000,
);

it(
  "shows a run the server cancelled as it stopped (SIGTERM, no deadline) once, across the reconnect",
  async () => {
    const { runId, events, states } = await restartMidRun("SIGTERM");
    expect(states.slice(states.lastIndexOf("reconnecting"))).toEqual(["reconnecting", "open"]);
    expect(events.at(-1)?.type).toBe(EventType.RUN_CANCELLED);
    const card = e2e.page.locator(`[data-testid="run-card"][data-run-id="${runId}"]`);
    expect(await card.getAttribute("data-state")).toBe("cancelled");
    await card.getByTestId("run-cancelled").waitFor();
    await expectCardMatchesLog(runId, events);
    await e2e.screenshot("restart-SIGTERM-run-cancelled");
    expect(e2e.pageErrors).toEqual([]);
  },
  RUN_TIMEOUT_MS + 120_000,
);
