// The seam between replay and live delivery, made deterministic: events are appended to the server's own event log
// (real log, real bus) while clients subscribe at staggered points with various after_seq. Each client must receive
// exactly after_seq+1 … N, in order: nothing missing where the replay hands over to the bus, nothing twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleEvent } from "../../src/bus/sample-events.ts";
import { ClientCommand, ControlFrame } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { ThreadRepository } from "../../src/store/threads.ts";
import { startSignedIn, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const EVENTS = 600;
const OWNER = { email: "owner@example.com", password: "owner-password-1" };

describe.each(storeTargets())("subscribe while the run is being written, on $name", (target) => {
  let server: TestServer;
  let token = "";
  let ownerId = "";

  beforeAll(async () => {
    ({ server, token, userId: ownerId } = await startSignedIn(target, OWNER));
  });

  afterAll(async () => {
    await server.stop();
  });

  it("gives every subscriber exactly the events after its after_seq, wherever it joined", async () => {
    const thread = await new ThreadRepository(server.app.database.db).create(ownerId, "seam");
    const run = await new RunRepository(server.app.database.db).create({ ownerId, threadId: thread.id, request: "seam", nodeId: "seam-node", leaseMs: 60_000 });
    const joins = [
      { at: 0, afterSeq: 0 },
      { at: 40, afterSeq: 0 },
      { at: 150, afterSeq: 100 },
      { at: 300, afterSeq: 299 },
      { at: 450, afterSeq: 10 },
      { at: 520, afterSeq: 0 },
    ];
    let written = 0;
    // the writer keeps appends in flight all the time (one per turn of the event loop, commits not awaited), so a
    // subscriber's replay read always races a commit whose events the bus is delivering at that moment
    const writer = (async () => {
      const appends: Promise<void>[] = [];
      for (let seq = 1; seq <= EVENTS; seq += 1) {
        appends.push(server.app.log.append(sampleEvent(run.id, seq), ownerId));
        written = seq;
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(appends);
    })();
    const clients = await Promise.all(
      joins.map(async (j) => {
        while (written < j.at) await new Promise((resolve) => setTimeout(resolve, 1));
        const client = TestClient.open(server.url, token);
        await client.next((f) => f.type === ControlFrame.WELCOME);
        client.send({ type: ClientCommand.SUBSCRIBE, id: "s", run_id: run.id, after_seq: j.afterSeq });
        return { client, afterSeq: j.afterSeq };
      }),
    );
    await writer;
    for (const { client, afterSeq } of clients) {
      await client.next((f) => f.run_id === run.id && f.seq === EVENTS);
      const seqs = client.events(run.id).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: EVENTS - afterSeq }, (_, i) => afterSeq + 1 + i));
      const complete = client.frames.find((f) => f.type === ControlFrame.REPLAY_COMPLETE);
      expect(complete).toMatchObject({ run_id: run.id, through_seq: expect.any(Number) });
      // the replay_complete sits exactly after the replayed events, before the live ones
      const at = client.frames.indexOf(complete as (typeof client.frames)[number]);
      expect(client.frames.slice(0, at).filter((f) => f.run_id === run.id && typeof f.seq === "number").length).toBe(Number(complete?.through_seq) - afterSeq);
      client.socket.terminate();
    }
    // at least one subscriber joined while events were still coming: its live part is not empty
    expect(clients.some(({ client }) => Number(client.frames.find((f) => f.type === ControlFrame.REPLAY_COMPLETE)?.through_seq) < EVENTS)).toBe(true);
  });
});
