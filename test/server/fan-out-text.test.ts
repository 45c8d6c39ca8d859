// Many sockets following one run over a real server (PGlite with the in-process bus; PostgreSQL with the Redis bus
// when DATABASE_URL/REDIS_URL are set): each live event is serialised once on the node, however many sockets follow
// it, and every socket receives the same text. Counted through JSON.stringify itself (spied, never replaced), so the
// count holds whichever part of the server would serialise an envelope.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sampleEvent } from "../../src/bus/sample-events.ts";
import { RunEventSchema } from "../../src/protocol/events.ts";
import { ClientCommand, ControlFrame, EnvVar } from "../../src/protocol/names.ts";
import { uuidv7 } from "../../src/runtime/ids.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { ThreadRepository } from "../../src/store/threads.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { startSignedIn, type SignedIn } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const FOLLOWERS = 50;
const EVENTS = 20;
const OWNER = { email: "fan-out@example.com", password: "fan-out-password-1" };

interface Follower {
  client: TestClient;
  /** The raw text of every frame, as it arrived. */
  texts: string[];
}

describe.each(storeTargets())("fan-out of one run to many sockets on $name", (target) => {
  let signedIn: SignedIn;
  // One account holds every follower here: past the default per-user socket cap.
  beforeAll(async () => void (signedIn = await startSignedIn(target, OWNER, { [EnvVar.MAX_SOCKETS_PER_USER]: String(FOLLOWERS * 2) })));
  afterAll(() => signedIn.server.stop());

  /** `count` sockets following a fresh run from its start, each past its (empty) replay. */
  async function follow(count: number): Promise<{ runId: string; threadId: string; followers: Follower[] }> {
    const { server, token, userId: ownerId } = signedIn;
    const thread = await new ThreadRepository(server.app.database.db).create(ownerId, "fan-out");
    const run = await new RunRepository(server.app.database.db).create({ ownerId, threadId: thread.id, request: "fan-out", nodeId: "fan-out", leaseMs: 60_000 });
    const followers = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const client = TestClient.open(server.url, token);
        const texts: string[] = [];
        client.socket.on("message", (data) => texts.push(String(data)));
        await client.next((f) => f.type === ControlFrame.WELCOME);
        client.send({ type: ClientCommand.SUBSCRIBE, id: `s${i}`, run_id: run.id, after_seq: 0 });
        await client.next((f) => f.type === ControlFrame.REPLAY_COMPLETE);
        return { client, texts };
      }),
    );
    return { runId: run.id, threadId: thread.id, followers };
  }

  /** Appends the run's events through the server's log and counts the serialisations of its envelopes meanwhile. */
  async function emitCounting(runId: string, threadId: string, followers: Follower[]): Promise<number> {
    const { server, userId: ownerId } = signedIn;
    const events = Array.from({ length: EVENTS }, (_, i) => RunEventSchema.parse({ ...sampleEvent(runId, i + 1), event_id: uuidv7(), thread_id: threadId }));
    const stringify = vi.spyOn(JSON, "stringify");
    try {
      for (const event of events) await server.app.log.append(event, ownerId);
      await Promise.all(followers.map(({ client }) => client.next((f) => f.run_id === runId && f.seq === EVENTS)));
      return stringify.mock.calls.filter(([value]) => typeof value === "object" && value !== null && (value as { run_id?: unknown }).run_id === runId).length;
    } finally {
      stringify.mockRestore();
    }
  }

  it("serialises each live event as many times for 50 followers as for one, and sends them all the same text", async () => {
    const single = await follow(1);
    const alone = await emitCounting(single.runId, single.threadId, single.followers);
    const crowd = await follow(FOLLOWERS);
    const shared = await emitCounting(crowd.runId, crowd.threadId, crowd.followers);

    expect(alone).toBeGreaterThanOrEqual(EVENTS); // the socket's own serialisation of each event is counted
    expect(shared).toBe(alone);
    const eventTexts = ({ texts }: Follower) =>
      texts.filter((text) => {
        const frame = JSON.parse(text) as { run_id?: unknown; seq?: unknown };
        return frame.run_id === crowd.runId && typeof frame.seq === "number";
      });
    const first = eventTexts(crowd.followers[0]!);
    expect(first.map((text) => RunEventSchema.parse(JSON.parse(text)).seq)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    for (const follower of crowd.followers) expect(eventTexts(follower)).toEqual(first);
    await Promise.all([...single.followers, ...crowd.followers].map(({ client }) => client.close()));
  });
});
