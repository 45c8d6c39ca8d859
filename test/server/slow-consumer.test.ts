// A client that stops reading: past the per-socket byte budget the gateway sends `resync_required` and drops that
// run's live frames instead of queueing them, and the client catches up by resubscribing with its last seq.
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunEventSchema, type RunEvent } from "../../src/protocol/events.ts";
import { AgentName, ClientCommand, ControlFrame, EnvVar, EventType, PROTOCOL_VERSION } from "../../src/protocol/names.ts";
import { uuidv7 } from "../../src/runtime/ids.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { ThreadRepository } from "../../src/store/threads.ts";
import { startSignedIn, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const EVENTS = 400;
const CONTENT_CHARS = 32 * 1024;
const BUDGET = 256 * 1024;
const OWNER = { email: "slow@example.com", password: "slow-password-1" };

function bigEvent(runId: string, threadId: string, seq: number): RunEvent {
  return RunEventSchema.parse({
    v: PROTOCOL_VERSION,
    type: EventType.PARTIAL_RESULT,
    event_id: uuidv7(),
    run_id: runId,
    thread_id: threadId,
    seq,
    ts: new Date().toISOString(),
    agent_name: AgentName.REPORT,
    data: { agent_name: AgentName.REPORT, content: `${seq}:`.padEnd(CONTENT_CHARS, "x") },
  });
}

describe("a slow consumer", () => {
  let server: TestServer;
  let token = "";
  let ownerId = "";

  beforeAll(async () => {
    ({ server, token, userId: ownerId } = await startSignedIn(storeTargets()[0]!, OWNER, { [EnvVar.SOCKET_BYTE_BUDGET]: String(BUDGET) }));
  });

  afterAll(async () => {
    await server.stop();
  });

  it("is told to resync instead of being buffered without bound, and resumes from its last seq", async () => {
    const thread = await new ThreadRepository(server.app.database.db).create(ownerId, "slow");
    const run = await new RunRepository(server.app.database.db).create({ ownerId, threadId: thread.id, request: "slow", nodeId: "slow-node", leaseMs: 60_000 });
    const client = TestClient.open(server.url, token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    client.send({ type: ClientCommand.SUBSCRIBE, id: "s1", run_id: run.id, after_seq: 0 });
    await client.next((f) => f.type === ControlFrame.REPLAY_COMPLETE);
    const tcp = (client.socket as unknown as { _socket: Socket })._socket;
    tcp.pause();
    for (let seq = 1; seq <= EVENTS; seq += 1) await server.app.log.append(bigEvent(run.id, thread.id, seq), ownerId);
    tcp.resume();

    const resync = await client.next((f) => f.type === ControlFrame.RESYNC_REQUIRED);
    expect(resync.run_id).toBe(run.id);
    await new Promise((resolve) => setTimeout(resolve, 300)); // anything still in flight arrives
    const received = client.events(run.id).map((e) => e.seq);
    const k = received.length;
    expect(k).toBeLessThan(EVENTS); // frames were dropped, not queued
    expect(received).toEqual(Array.from({ length: k }, (_, i) => i + 1)); // what arrived is gapless

    const from = client.frames.length;
    // the replay of the rest (~9 MB) is paced by the socket's drain, so it needs no further resync
    client.send({ type: ClientCommand.SUBSCRIBE, id: "s2", run_id: run.id, after_seq: k });
    await client.next((f) => f.type === ControlFrame.REPLAY_COMPLETE, from);
    expect(client.events(run.id).map((e) => e.seq)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    expect(client.frames.filter((f) => f.type === ControlFrame.RESYNC_REQUIRED)).toHaveLength(1);
    client.socket.terminate();
  });
});
