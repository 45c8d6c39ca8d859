// Synthetic data jobs end to end on every store target: a request over a real socket goes Triage → Synthetic Data;
// a large job (or one the user wants to confirm) waits on `awaiting_input` until the owner approves, modifies or
// declines over `respond`, or the question expires; a small job runs at once. REST starts the same path.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/protocol/events.ts";
import { AgentName, ClientCommand, ControlFrame, Decision, EnvVar, ErrorCode, EventType, RoutePath } from "../../src/protocol/names.ts";
import { SyntheticJobStatus, type SyntheticJob } from "../../src/protocol/rest.ts";
import { AuditAction } from "../../src/server/audit-actions.ts";
import { AuditLogRepository } from "../../src/store/audit-log.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { get, post, startSignedIn, type TestServer } from "./test-server.ts";
import { TestClient, type Frame } from "./ws-client.ts";

const OWNER = { email: "synth-owner@example.com", password: "owner-password-1" };
const OTHER = { email: "synth-other@example.com", password: "other-password-1" };
/** Long enough for a test to answer, short enough to wait out in the expiry case. */
const APPROVAL_TTL_MS = 4_000;
const POLL_MS = 100;

describe.each(storeTargets())("synthetic data jobs on $name", (target) => {
  let server: TestServer;
  let client: TestClient;
  let token = "";
  let otherToken = "";
  let ownerId = "";
  let frameId = 0;

  beforeAll(async () => {
    const signedIn = await startSignedIn(target, OWNER, { [EnvVar.APPROVAL_TTL_MS]: String(APPROVAL_TTL_MS) });
    ({ server, token, userId: ownerId } = signedIn);
    await server.app.auth.createUser(OTHER.email, OTHER.password);
    otherToken = String((await post(server.url + RoutePath.AUTH_LOGIN, OTHER)).body.token);
    client = TestClient.open(server.url, token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
  });
  afterAll(async () => {
    client.socket.terminate();
    await server.stop();
  });

  async function send(frame: Record<string, unknown>): Promise<Frame> {
    const id = `f${++frameId}`;
    client.send({ ...frame, id });
    return client.next((f) => f.id === id && (f.type === ControlFrame.ACK || f.type === ControlFrame.ERROR));
  }

  async function ask(text: string): Promise<string> {
    const ack = await send({ type: ClientCommand.USER_MESSAGE, text });
    expect(ack.type).toBe(ControlFrame.ACK);
    return String(ack.run_id);
  }

  const asked = (runId: string) => client.next((f) => f.run_id === runId && f.type === EventType.AWAITING_INPUT);
  const respond = (interruptId: unknown, decision: string, payload?: Record<string, unknown>) =>
    send({ type: ClientCommand.RESPOND, interrupt_id: interruptId, decision, ...(payload === undefined ? {} : { payload }) });

  async function jobOfRun(runId: string): Promise<SyntheticJob> {
    const jobs = (await get(server.url + RoutePath.SYNTHETIC_JOBS, token)).body.jobs as SyntheticJob[];
    const job = jobs.find((j) => j.run_id === runId);
    if (job === undefined) throw new Error(`no job for run ${runId}`);
    return job;
  }

  function ranAndSkipped(events: readonly RunEvent[]): { ran: string[]; report: string } {
    expect(checkRunInvariants(events)).toEqual([]);
    const ran = events.flatMap((e) => (e.type === EventType.AGENT_STARTED ? [e.data.agent_name] : []));
    const final = events.find((e) => e.type === EventType.FINAL_REPORT);
    return { ran, report: final?.type === EventType.FINAL_REPORT ? final.data.report.executive_summary : "" };
  }

  const records = (corpus: string) => server.app.usage.count({ owner: ownerId, corpus });

  it("runs a small job at once, with progress, into its dataset; the analysis agents skip themselves", async () => {
    const runId = await ask("generate 1500 records of a devtools workload into dataset small-dev");
    const events = await client.runToEnd(runId);
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(events.some((e) => e.type === EventType.AWAITING_INPUT)).toBe(false);
    const { ran, report } = ranAndSkipped(events);
    expect(ran).toEqual([AgentName.TRIAGE, AgentName.SYNTHETIC_DATA]);
    expect(report).toContain('"small-dev"');
    const thoughts = events.flatMap((e) => (e.type === EventType.AGENT_THINKING && e.agent_name === AgentName.SYNTHETIC_DATA ? [e.data.thought] : []));
    expect(thoughts).toContain("Generated 1,000 of 1,500 records.");
    expect(thoughts).toContain("Generated 1,500 of 1,500 records.");
    expect(await records("small-dev")).toBe(1500);
    expect(await jobOfRun(runId)).toMatchObject({ status: SyntheticJobStatus.COMPLETED, records_total: 1500, records_done: 1500, corpus: "small-dev", profile: { scenario: "devtools" } });
  });

  it("asks before a 200k job and generates the modified size; duplicate answers are idempotent", async () => {
    const runId = await ask("generate 200k records of a support-chat workload with caching waste into dataset big-chat");
    const question = await asked(runId);
    expect(question).toMatchObject({ data: { options: [Decision.APPROVE, Decision.MODIFY, Decision.DECLINE] } });
    expect((question.data as { prompt: string }).prompt).toContain("200,000 records");
    expect(await jobOfRun(runId)).toMatchObject({ status: SyntheticJobStatus.PENDING_APPROVAL, records_total: 200_000, records_done: 0 });
    const interruptId = (question.data as { interrupt_id: string }).interrupt_id;
    expect(await respond(interruptId, Decision.MODIFY, { records: 2000 })).toMatchObject({ type: ControlFrame.ACK, status: "accepted" });
    expect(await respond(interruptId, Decision.MODIFY, { records: 2000 })).toMatchObject({ type: ControlFrame.ACK, status: "duplicate" });
    expect(await respond(interruptId, Decision.APPROVE)).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.INTERRUPT_ANSWERED });
    const events = await client.runToEnd(runId);
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(ranAndSkipped(events).report).toContain("2,000 new records");
    expect(await records("big-chat")).toBe(2000);
    expect(await jobOfRun(runId)).toMatchObject({ status: SyntheticJobStatus.COMPLETED, records_total: 2000, records_done: 2000, profile: { waste: ["prompt_caching", "response_caching"] } });
    const audit = await new AuditLogRepository(server.app.database.db).query({ action: AuditAction.SYNTHETIC_JOB_APPROVE });
    expect(audit[0]).toMatchObject({ actorId: ownerId, params: { decision: Decision.MODIFY, records: 2000, corpus: "big-chat" } });
  });

  it("asks when the user wants to confirm, and runs the job as it was on approve", async () => {
    const runId = await ask("generate 1200 records of a saas workload into dataset confirmed, ask me to confirm first");
    const question = await asked(runId);
    expect(await respond((question.data as { interrupt_id: string }).interrupt_id, Decision.APPROVE)).toMatchObject({ status: "accepted" });
    expect((await client.runToEnd(runId)).at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(await records("confirmed")).toBe(1200);
  });

  it("generates nothing when the user declines", async () => {
    const runId = await ask("generate 300k records of a saas workload into dataset declined-set");
    const question = await asked(runId);
    expect(await respond((question.data as { interrupt_id: string }).interrupt_id, Decision.DECLINE)).toMatchObject({ status: "accepted" });
    const events = await client.runToEnd(runId);
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(ranAndSkipped(events).report).toContain("declined");
    expect(await records("declined-set")).toBe(0);
    expect(await jobOfRun(runId)).toMatchObject({ status: SyntheticJobStatus.DECLINED, records_done: 0 });
  });

  it("generates nothing when the question expires, and the run completes saying so", async () => {
    const runId = await ask("generate 100k records of a saas workload into dataset expired-set");
    const question = await asked(runId);
    const events = await client.runToEnd(runId);
    expect(events.at(-1)?.type).toBe(EventType.RUN_COMPLETED);
    expect(ranAndSkipped(events).report).toContain("expired");
    expect(await records("expired-set")).toBe(0);
    expect(await jobOfRun(runId)).toMatchObject({ status: SyntheticJobStatus.EXPIRED });
    expect(await respond((question.data as { interrupt_id: string }).interrupt_id, Decision.APPROVE)).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.INTERRUPT_EXPIRED });
  });

  it("starts the same path over REST with a profile, and shows the job to its owner only", async () => {
    const started = await post(server.url + RoutePath.SYNTHETIC_JOBS, { profile: { records: 1100, scenario: "clean", corpus: "rest-clean", seed: 3 } }, token);
    expect(started.status).toBe(202);
    const { job_id: jobId, run_id: runId, thread_id: threadId } = started.body as Record<string, string>;
    expect([jobId, runId, threadId].every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    const jobUrl = server.url + RoutePath.SYNTHETIC_JOB.replace(":job_id", jobId!);
    let job = (await get(jobUrl, token)).body.job as SyntheticJob;
    while (job.status !== SyntheticJobStatus.COMPLETED && job.status !== SyntheticJobStatus.FAILED) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      job = (await get(jobUrl, token)).body.job as SyntheticJob;
    }
    expect(job).toMatchObject({ job_id: jobId, run_id: runId, status: SyntheticJobStatus.COMPLETED, records_done: 1100, corpus: "rest-clean", profile: { scenario: "clean", waste: [], seed: 3 } });
    expect(await records("rest-clean")).toBe(1100);
    expect((await get(jobUrl, otherToken)).status).toBe(404);
    expect((await get(server.url + RoutePath.SYNTHETIC_JOBS, otherToken)).body.jobs).toEqual([]);

    expect(await post(server.url + RoutePath.SYNTHETIC_JOBS, { request: "where can I save money?" }, token)).toMatchObject({ status: 400, body: { error: { code: ErrorCode.INVALID_REQUEST } } });
    expect(await post(server.url + RoutePath.SYNTHETIC_JOBS, {}, token)).toMatchObject({ status: 400 });
    expect((await post(server.url + RoutePath.SYNTHETIC_JOBS, { profile: { records: 10 } })).status).toBe(401);
  });
});
