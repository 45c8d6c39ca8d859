// `respond` over a real socket: the owner's answer to an open question is recorded (ack accepted), the same answer
// again is a duplicate, a different one is refused, and another user's attempt is answered like a missing question.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientCommand, ControlFrame, Decision, ErrorCode, InterruptKind, RoutePath } from "../../src/protocol/names.ts";
import { uuidv7 } from "../../src/runtime/ids.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { InterruptRepository } from "../../src/store/interrupts.ts";
import { RunRepository } from "../../src/store/runs.ts";
import { ThreadRepository } from "../../src/store/threads.ts";
import { post, startSignedIn, type TestServer } from "./test-server.ts";
import { TestClient, type Frame } from "./ws-client.ts";

const OWNER = { email: "asker@example.com", password: "asker-password-1" };
const OTHER = { email: "other@example.com", password: "other-password-1" };

describe.each(storeTargets())("respond on $name", (target) => {
  let server: TestServer;
  let owner: TestClient;
  let other: TestClient;
  let interruptId = "";

  beforeAll(async () => {
    const signedIn = await startSignedIn(target, OWNER);
    server = signedIn.server;
    await server.app.auth.createUser(OTHER.email, OTHER.password);
    const otherToken = String((await post(server.url + RoutePath.AUTH_LOGIN, OTHER)).body.token);
    const db = server.app.database.db;
    const thread = await new ThreadRepository(db).create(signedIn.userId, "asked");
    const run = await new RunRepository(db).create({ ownerId: signedIn.userId, threadId: thread.id, request: "make data", nodeId: "n", leaseMs: 60_000 });
    interruptId = uuidv7();
    await new InterruptRepository(db).create({
      id: interruptId,
      runId: run.id,
      ownerId: signedIn.userId,
      kind: InterruptKind.APPROVAL,
      prompt: "Generate 200,000 records?",
      options: [Decision.APPROVE, Decision.DECLINE],
      expiresAt: new Date(Date.now() + 60_000),
    });
    owner = TestClient.open(server.url, signedIn.token);
    other = TestClient.open(server.url, otherToken);
    await owner.next((f) => f.type === ControlFrame.WELCOME);
    await other.next((f) => f.type === ControlFrame.WELCOME);
  });

  afterAll(async () => {
    owner.socket.terminate();
    other.socket.terminate();
    await server.stop();
  });

  const respond = async (client: TestClient, id: string, decision: string): Promise<Frame> => {
    client.send({ type: ClientCommand.RESPOND, id, interrupt_id: interruptId, decision });
    return client.next((f) => f.id === id);
  };

  it("records the owner's first answer and treats repeats idempotently", async () => {
    expect(await respond(other, "o1", Decision.APPROVE)).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.NOT_FOUND });
    expect(await respond(owner, "a1", Decision.APPROVE)).toMatchObject({ type: ControlFrame.ACK, interrupt_id: interruptId, status: "accepted" });
    expect(await respond(owner, "a2", Decision.APPROVE)).toMatchObject({ type: ControlFrame.ACK, status: "duplicate" });
    expect(await respond(owner, "a3", Decision.DECLINE)).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.INTERRUPT_ANSWERED });
    expect(await respond(other, "o2", Decision.APPROVE)).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.NOT_FOUND });
  });
});
