// Drop-and-resume chaos over real sockets, on PGlite always and on PostgreSQL (+ Redis) when DATABASE_URL is set: 100
// runs of the real pipeline, each followed by a client whose socket is cut abruptly at seeded points (right after the
// user_message, before its ack; after the k-th event; in the middle of a replay), which then resubscribes on a new
// socket with the last seq it applied, until the terminal event. What the client applied, socket after socket, must be
// the run's whole log: gapless, nothing twice, well-formed, and equal to GET /api/runs/:id/events.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/protocol/events.ts";
import { ClientCommand, ControlFrame, EnvVar, EventType, RoutePath, TERMINAL_EVENTS } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { RunStatus } from "../../src/store/schema.ts";
import { checkRunInvariants } from "../mission-critical/invariants.ts";
import { get, post, startSignedIn, type Reply, type TestServer } from "./test-server.ts";
import { loadUsage } from "./usage-fixture.ts";
import { TestClient, type Frame } from "./ws-client.ts";

const USER = { email: "flaky@example.com", password: "flaky-password-1" };
const RUNS = 100;
/** Runs in flight at once: the user's limit, one per worker. */
const PARALLEL = 4;
const SEED = 61_124;
const RECORDS = 200;
const MAX_CUT = 120;
const LEG_MS = 30_000;
const POLL_MS = 20;
const QUESTION = "Where can I cut my LLM costs?";

/** Where one run's client is cut off. */
interface Plan {
  /** The first socket is cut as soon as the user_message is written, before the ack can arrive. */
  beforeAck: boolean;
  /** Each following socket is cut after it has applied this many run events (0: right after its command). */
  cuts: number[];
  /** The first resubscription waits until the run has ended, so it is all replay (and a cut lands mid-replay). */
  resumeAfterEnd: boolean;
}

interface Leg {
  applied: RunEvent[];
  runId: string | undefined;
  /** The leg saw the terminal event. */
  ended: boolean;
  /** The socket was cut before `replay_complete` on a subscription that was replaying. */
  cutMidReplay: boolean;
}

const plans = fc.sample(
  fc.record({
    beforeAck: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    cuts: fc.array(fc.integer({ min: 0, max: MAX_CUT }), { maxLength: 4 }),
    resumeAfterEnd: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  }),
  { seed: SEED, numRuns: RUNS },
);

const ended = (status: unknown) => status !== RunStatus.QUEUED && status !== RunStatus.RUNNING;
const isTerminal = (frame: Frame) => typeof frame.seq === "number" && TERMINAL_EVENTS.some((t) => t === frame.type);

/**
 * One socket of the client: sends `command` once welcomed, applies the run's events in arrival order, and cuts the
 * socket abruptly (terminate, no close handshake) after `cut` events — or at once when `cut` is 0. A `resync_required`
 * is handled like a cut: the next socket resumes from the last applied seq.
 */
function leg(server: TestServer, token: string, command: Frame, runId: string | undefined, cut: number | undefined): Promise<Leg> {
  const client = TestClient.open(server.url, token);
  const result: Leg = { applied: [], runId, ended: false, cutMidReplay: false };
  let replaying = command.type === ClientCommand.SUBSCRIBE;
  return new Promise<Leg>((resolve, reject) => {
    let over = false;
    const end = (error?: Error) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      client.socket.terminate();
      if (error === undefined) resolve(result);
      else reject(error);
    };
    const timer = setTimeout(() => end(new Error(`leg of run ${result.runId} stalled: ${client.frames.map((f) => f.type).join(",")}`)), LEG_MS);
    const cutNow = () => {
      result.cutMidReplay = replaying;
      end();
    };
    client.socket.on("message", (data) => {
      if (over) return; // a cut client applies nothing more
      const frame = JSON.parse(String(data)) as Frame;
      if (frame.type === ControlFrame.WELCOME) {
        client.socket.send(JSON.stringify(command), () => (cut === 0 ? cutNow() : undefined));
      } else if (frame.type === ControlFrame.ERROR) {
        end(new Error(`command refused: ${JSON.stringify(frame)}`));
      } else if (frame.type === ControlFrame.ACK && frame.id === command.id && typeof frame.run_id === "string") {
        result.runId = frame.run_id;
      } else if (frame.type === ControlFrame.REPLAY_COMPLETE) {
        replaying = false;
      } else if (frame.type === ControlFrame.RESYNC_REQUIRED) {
        end();
      } else if (typeof frame.seq === "number" && frame.run_id === result.runId) {
        result.applied.push(frame as unknown as RunEvent);
        if (isTerminal(frame)) {
          result.ended = true;
          end();
        } else if (result.applied.length === cut) cutNow();
      }
    });
    void client.closed.then((closed) => end(new Error(`the server closed the socket: ${closed.code} ${closed.reason}`)));
  });
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + LEG_MS;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The id of the one run a thread's run list shows, once it shows one. */
async function discoveredRun(list: () => Promise<Reply>): Promise<string> {
  const listed = await until(list, (r) => (r.body.runs as unknown[]).length === 1, "the run of the thread");
  return String((listed.body.runs as { id: string }[])[0]?.id);
}

interface Outcome {
  runId: string;
  applied: RunEvent[];
  logged: RunEvent[];
  legs: number;
  cutsMidReplay: number;
}

/** Starts one run in a thread of its own and follows it through the plan's cuts to its terminal event. */
async function chaosRun(server: TestServer, token: string, index: number, plan: Plan): Promise<Outcome> {
  const thread = await post(server.url + RoutePath.THREADS, { title: `chaos ${index}` }, token);
  const threadId = (thread.body.thread as { id: string }).id;
  const cuts = [...plan.cuts];
  const ask: Frame = { type: ClientCommand.USER_MESSAGE, id: `ask-${index}`, thread_id: threadId, text: `${QUESTION} (${index})` };
  let current = await leg(server, token, ask, undefined, plan.beforeAck ? 0 : cuts.shift());
  // Cut before the ack, the client never learnt the run's id: the thread's runs tell it.
  const runId = current.runId ?? (await discoveredRun(() => get(`${server.url}/api/threads/${threadId}/runs`, token)));
  const rowOf = () => get(`${server.url}/api/runs/${runId}`, token);
  const applied = [...current.applied];
  let legs = 1;
  let cutsMidReplay = 0;
  let waitForEnd = plan.resumeAfterEnd;
  while (!current.ended) {
    if (waitForEnd) await until(rowOf, (r) => ended((r.body.run as { status: string }).status), `the end of run ${runId}`);
    waitForEnd = false;
    const afterSeq = applied.at(-1)?.seq ?? 0;
    current = await leg(server, token, { type: ClientCommand.SUBSCRIBE, id: `resume-${index}-${legs}`, run_id: runId, after_seq: afterSeq }, runId, cuts.shift());
    applied.push(...current.applied);
    legs += 1;
    if (current.cutMidReplay) cutsMidReplay += 1;
  }
  // The run's row closes after its last event; only then is its slot free for the worker's next run.
  await until(rowOf, (r) => ended((r.body.run as { status: string }).status), `the end of run ${runId}`);
  const logged = (await get(`${server.url}/api/runs/${runId}/events`, token)).body.events as RunEvent[];
  return { runId, applied, logged, legs, cutsMidReplay };
}

describe.each(storeTargets())("drop and resume on $name", (target) => {
  let server: TestServer;
  let token = "";

  beforeAll(async () => {
    let userId = "";
    ({ server, token, userId } = await startSignedIn(target, USER, {
      [EnvVar.MAX_CONCURRENT_RUNS]: String(PARALLEL),
      // the limiter is not under test here (rate-limit.test.ts): keep it out of the way of 100 runs' commands
      [EnvVar.RATE_LIMIT_PER_MINUTE]: String(100_000),
    }));
    expect(await loadUsage(server, userId, RECORDS)).toBe(RECORDS);
  });

  afterAll(async () => {
    await server.stop();
  });

  it(`applies every one of ${RUNS} runs whole, in order and once, however often its socket is cut`, { timeout: 180_000 }, async () => {
    const outcomes: Outcome[] = [];
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < RUNS; index = next++) outcomes[index] = await chaosRun(server, token, index, plans[index] as Plan);
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));

    for (const [index, { runId, applied, logged }] of outcomes.entries()) {
      const label = `run ${index} (${runId}), plan ${JSON.stringify(plans[index])}`;
      expect(applied.map((e) => e.seq), label).toEqual(Array.from({ length: applied.length }, (_, i) => i + 1));
      expect(checkRunInvariants(applied), label).toEqual([]);
      expect(applied.at(-1)?.type, label).toBe(EventType.RUN_COMPLETED);
      expect(applied, label).toEqual(logged);
    }
    // the seeded plans did reach every kind of cut
    expect(plans.filter((p) => p.beforeAck).length).toBeGreaterThan(0);
    expect(outcomes.reduce((n, o) => n + o.cutsMidReplay, 0)).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.legs >= 3).length).toBeGreaterThan(0);
  });
});
