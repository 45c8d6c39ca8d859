// The AG-UI endpoint over a real server (PGlite always; PostgreSQL + Redis when DATABASE_URL/REDIS_URL are set), with
// usage data loaded so the whole pipeline runs. A real AG-UI client (@ag-ui/client's HttpAgent, whose pipeline ends in
// the conformance oracle `verifyEvents`) drives POST /agui; the SSE ids are the run's seqs; a stream cut mid-run resumes
// with Last-Event-ID with exactly the rest of the run's log; auth, ownership and bad input answer like the REST routes.
import { randomUUID } from "node:crypto";
import { HttpAgent } from "@ag-ui/client";
import { EventType as AguiEventType } from "@ag-ui/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportMarkdown } from "../../src/agents/report-markdown.ts";
import { generateWorkload } from "../../src/analytics/generator/workload.ts";
import { ingestUsage } from "../../src/analytics/ingest.ts";
import { readUsageLines } from "../../src/analytics/read-usage.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import type { RunEvent } from "../../src/protocol/events.ts";
import { ErrorCode, EventType, RoutePath } from "../../src/protocol/names.ts";
import type { Report } from "../../src/protocol/report.ts";
import { toAguiEvents } from "../../src/server/agui.ts";
import { ApiKeyRepository } from "../../src/store/api-keys.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { MessageRepository } from "../../src/store/messages.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { reportOf, sseGroups, verifiedAguiEvents, type SseGroup } from "./agui-client.ts";
import { get, post, startSignedIn, type TestServer } from "./test-server.ts";

const ALICE = { email: "alice@example.com", password: "alice-password-1" };
const MALLORY = { email: "mallory@example.com", password: "mallory-password-1" };
const QUESTION = "Where can I cut my LLM costs?";
const GHOST_RUN = "0190ffff-0000-7000-8000-000000000000";
const book = new PriceBook();

function input(text: string, threadId: string = randomUUID()) {
  return { threadId, runId: randomUUID(), messages: [{ id: randomUUID(), role: "user", content: text }], tools: [], context: [] };
}

function authorization(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** The complete groups of a stream read so far (a group is complete once its id frame arrived). */
function completeGroups(text: string): SseGroup[] {
  return sseGroups(text.slice(0, text.lastIndexOf("\n\n") + 2)).filter((g) => Number.isFinite(g.seq));
}

/** The groups the run's log says the stream must carry for seqs after `afterSeq`. */
function expectedGroups(log: readonly RunEvent[], afterSeq = 0): SseGroup[] {
  const report = reportOf(log);
  return log.filter((e) => e.seq > afterSeq).map((e) => ({ seq: e.seq, events: JSON.parse(JSON.stringify(toAguiEvents(e, report))) as Record<string, unknown>[] }));
}

describe.each(storeTargets())("the AG-UI endpoint on $name", (target) => {
  let server: TestServer;
  let aliceId = "";
  let aliceToken = "";
  let malloryToken = "";
  const agui = () => server.url + RoutePath.AGUI;
  const resumeUrl = (runId: string, query = "") => server.url + RoutePath.AGUI_RUN.replace(":run_id", runId) + query;

  const postAgui = (body: unknown, token: string | undefined, signal?: AbortSignal) =>
    fetch(agui(), { method: "POST", headers: { "content-type": "application/json", ...authorization(token) }, body: JSON.stringify(body), ...(signal === undefined ? {} : { signal }) });
  const resume = (runId: string, token: string | undefined, headers: Record<string, string> = {}, query = "") =>
    fetch(resumeUrl(runId, query), { headers: { ...authorization(token), ...headers } });
  const runLog = async (runId: string): Promise<RunEvent[]> => (await get(`${server.url}/api/runs/${runId}/events`, aliceToken)).body.events as RunEvent[];
  /** Waits for the run's row to close: its log then holds every event there will be. */
  const ended = async (runId: string, token = aliceToken) => {
    await expect.poll(async () => (await get(`${server.url}/api/runs/${runId}/events`, token)).body.status, { timeout: 20_000 }).not.toMatch(/pending|running/);
  };

  beforeAll(async () => {
    const signedIn = await startSignedIn(target, ALICE);
    ({ server, userId: aliceId, token: aliceToken } = signedIn);
    const workload = generateWorkload({ scenario: "saas", records: 800, days: 14, seed: 5, price: (r) => book.price(r).computed_cost_usd });
    const reader = await readUsageLines([...workload.records()].map((r) => JSON.stringify(r)), { format: "canonical" });
    const ingested = await ingestUsage(reader, server.app.usage, { owner: aliceId, corpus: "default", price: (r) => book.price(r) });
    expect(ingested.ingested).toBe(800);
    await server.app.auth.createUser(MALLORY.email, MALLORY.password);
    malloryToken = String((await post(server.url + RoutePath.AUTH_LOGIN, MALLORY)).body.token);
  });

  afterAll(async () => {
    await server.stop();
  });

  it("streams a whole run that HttpAgent and verifyEvents accept, one group per logged event with its seq as id", async () => {
    let captured: Promise<string> = Promise.resolve("");
    const agent = new HttpAgent({
      url: agui(),
      headers: authorization(aliceToken),
      // what the agent reads is the response itself; a copy of the bytes is kept to look at the SSE ids
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        if (response.body === null) return response;
        const [mine, theirs] = response.body.tee();
        captured = new Response(mine).text();
        return new Response(theirs, { status: response.status, headers: response.headers });
      },
    });
    agent.addMessage({ id: randomUUID(), role: "user", content: QUESTION });
    const { result, newMessages } = await agent.runAgent();
    const raw = await captured;

    const groups = sseGroups(raw);
    const started = groups[0]?.events[0] as { type: string; runId: string; threadId: string };
    expect(started.type).toBe(AguiEventType.RUN_STARTED);
    const log = await runLog(started.runId);
    expect(checkRunInvariants(log)).toEqual([]);
    expect(log.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(groups.map((g) => g.seq)).toEqual(log.map((e) => e.seq));
    expect(groups).toEqual(expectedGroups(log));
    // the oracle on its own, over exactly the bytes the agent read
    expect((await verifiedAguiEvents(raw)).at(-1)?.type).toBe(AguiEventType.RUN_FINISHED);

    const report = reportOf(log) as Report;
    expect(result).toEqual(report);
    expect(newMessages.some((m) => m.role === "assistant" && m.content === reportMarkdown(report))).toBe(true);
    expect(newMessages.some((m) => m.role === "reasoning")).toBe(true);
    expect(newMessages.some((m) => m.role === "tool")).toBe(true);
    // the client's own thread id is not one of Alice's threads: the run got a new thread, named by RUN_STARTED
    expect(started.threadId).not.toBe(agent.threadId);
    expect((await get(server.url + RoutePath.THREADS, aliceToken)).body.threads).toEqual(expect.arrayContaining([expect.objectContaining({ id: started.threadId })]));
  });

  it("continues the caller's own thread, and never another user's: that threadId starts a new thread of the caller", async () => {
    const first = await postAgui(input(QUESTION), aliceToken);
    const firstStarted = sseGroups(await first.text())[0]?.events[0] as { threadId: string; runId: string };
    const again = await postAgui(input("And by feature?", firstStarted.threadId), aliceToken);
    const againStarted = sseGroups(await again.text())[0]?.events[0] as { threadId: string; runId: string };
    expect(againStarted.threadId).toBe(firstStarted.threadId);

    const intruding = await postAgui(input("mine now", firstStarted.threadId), malloryToken);
    expect(intruding.status).toBe(200);
    const intruderStarted = sseGroups(await intruding.text())[0]?.events[0] as { threadId: string };
    expect(intruderStarted.threadId).not.toBe(firstStarted.threadId);
    await ended(againStarted.runId);
    const messages = await new MessageRepository(server.app.database.db).page(aliceId, firstStarted.threadId);
    expect(messages.map((m) => m.content)).not.toContain("mine now");
    expect(messages.filter((m) => m.role === "user").map((m) => m.content)).toEqual([QUESTION, "And by feature?"]);
  });

  it("resumes a stream cut mid-run with Last-Event-ID: exactly the rest of the log, and the cut cancelled nothing", async () => {
    const controller = new AbortController();
    const response = await postAgui(input(QUESTION), aliceToken, controller.signal);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    // read until the first agent's step has started, then go away
    while (!completeGroups(text).some((g) => g.events.some((e) => e.type === AguiEventType.STEP_STARTED))) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
    controller.abort();
    const seen = completeGroups(text);
    const runId = String(seen[0]?.events[0]?.runId);
    const k = seen.at(-1)?.seq ?? 0;
    expect(seen.map((g) => g.seq)).toEqual(Array.from({ length: k }, (_, i) => i + 1));

    const rest = sseGroups(await (await resume(runId, aliceToken, { "last-event-id": String(k) })).text());
    const log = await runLog(runId);
    expect(log.at(-1)?.type).toBe(EventType.RUN_COMPLETED); // the cut cancelled nothing
    expect(rest[0]?.seq).toBe(k + 1);
    expect([...seen, ...rest]).toEqual(expectedGroups(log));
    expect(rest.at(-1)?.events.at(-1)).toMatchObject({ type: AguiEventType.RUN_FINISHED, result: reportOf(log) });
  });

  it("replays an ended run after ?after_seq= or Last-Event-ID (the header wins), RUN_FINISHED still carrying the report", async () => {
    const response = await postAgui(input(QUESTION), aliceToken);
    const runId = String(sseGroups(await response.text())[0]?.events[0]?.runId);
    await ended(runId);
    const log = await runLog(runId);
    const last = log.length;
    const fromQuery = await resume(runId, aliceToken, {}, "?after_seq=3");
    expect(fromQuery.status).toBe(200);
    expect(sseGroups(await fromQuery.text())).toEqual(expectedGroups(log, 3));
    const headerWins = await resume(runId, aliceToken, { "last-event-id": "5" }, "?after_seq=2");
    expect(sseGroups(await headerWins.text())).toEqual(expectedGroups(log, 5));
    // past the final report: the resumed RUN_FINISHED still carries it
    const tail = sseGroups(await (await resume(runId, aliceToken, { "last-event-id": String(last - 1) })).text());
    expect(tail).toEqual(expectedGroups(log, last - 1));
    expect(tail[0]?.events[0]).toMatchObject({ type: AguiEventType.RUN_FINISHED, result: reportOf(log) });
    // nothing left: an empty stream that ends
    const nothing = await resume(runId, aliceToken, { "last-event-id": String(last) });
    expect(nothing.status).toBe(200);
    expect(await nothing.text()).toBe("");
    // an API key is as good as a token
    const { secret } = await new ApiKeyRepository(server.app.database.db).create(aliceId, "agui");
    expect(sseGroups(await (await resume(runId, secret, {}, `?after_seq=${last - 1}`)).text()).map((g) => g.seq)).toEqual([last]);
  });

  it("answers 401 without a valid credential, and 404 for another user's run exactly as for no run", async () => {
    for (const token of [undefined, "not-a-token", `${aliceToken.slice(0, -4)}AAAA`]) {
      const posted = await postAgui(input(QUESTION), token);
      expect(posted.status).toBe(401);
      expect(((await posted.json()) as { error: { code: string } }).error.code).toBe(ErrorCode.UNAUTHORIZED);
      expect((await resume(GHOST_RUN, token)).status).toBe(401);
    }
    const response = await postAgui(input(QUESTION), aliceToken);
    const runId = String(sseGroups(await response.text())[0]?.events[0]?.runId);
    const theirs = await resume(runId, malloryToken);
    const none = await resume(GHOST_RUN, malloryToken);
    expect(theirs.status).toBe(404);
    expect(none.status).toBe(404);
    expect((await theirs.text()).replaceAll(runId, "<run>")).toEqual((await none.text()).replaceAll(GHOST_RUN, "<run>"));
  });

  it("answers 400 invalid_request, saying what is wrong, to a body that is not a RunAgentInput or asks nothing", async () => {
    const bodies: unknown[] = [
      {},
      { ...input(QUESTION), messages: "hello" },
      { ...input(QUESTION), messages: [{ id: "m1", role: "assistant", content: "I answer, I do not ask" }] },
      input("   "),
      input("x".repeat(20_001)),
    ];
    for (const body of bodies) {
      const answer = await postAgui(body, aliceToken);
      expect(answer.status).toBe(400);
      const { error } = (await answer.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe(ErrorCode.INVALID_REQUEST);
      expect(error.message.length).toBeGreaterThan(20);
    }
    const notJson = await fetch(agui(), { method: "POST", headers: { "content-type": "application/json", ...authorization(aliceToken) }, body: "{not json" });
    expect(notJson.status).toBe(400);
    const badId = await resume(GHOST_RUN, aliceToken, { "last-event-id": "seven" });
    expect(badId.status).toBe(400);
    // resuming after an event the run does not have would wait forever: refused
    const response = await postAgui(input(QUESTION), aliceToken);
    const runId = String(sseGroups(await response.text())[0]?.events[0]?.runId);
    const pastEnd = await resume(runId, aliceToken, { "last-event-id": "100000" });
    expect(pastEnd.status).toBe(400);
    expect(((await pastEnd.json()) as { error: { code: string } }).error.code).toBe(ErrorCode.INVALID_REQUEST);
  });
});
