// A NUL character cannot be stored by PostgreSQL: every route and command that takes an id or a payload refuses it as
// a bad request, never as an internal error.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientCommand, ControlFrame, Decision, ErrorCode, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { get, startSignedIn, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const USER = { email: "nul@example.com", password: "nul-password-12" };
const BAD_ID = "a\u0000b";

describe.each(storeTargets())("NUL in input on $name", (target) => {
  let server: TestServer;
  let token = "";

  beforeAll(async () => {
    ({ server, token } = await startSignedIn(target, USER));
  });

  afterAll(async () => {
    await server.stop();
  });

  it("answers 400 invalid_request on every id route", async () => {
    const encoded = encodeURIComponent(BAD_ID);
    for (const route of [RoutePath.RUN, RoutePath.RUN_EVENTS]) {
      const reply = await get(server.url + route.replace(":run_id", encoded), token);
      expect(reply.status, route).toBe(400);
      expect(reply.body.error).toMatchObject({ code: ErrorCode.INVALID_REQUEST });
    }
    for (const route of [RoutePath.THREAD_RUNS, RoutePath.THREAD_MESSAGES]) {
      const reply = await get(server.url + route.replace(":thread_id", encoded), token);
      expect(reply.status, route).toBe(400);
    }
  });

  it("refuses a respond payload holding a NUL as an invalid command", async () => {
    const client = TestClient.open(server.url, token);
    await client.next((f) => f.type === ControlFrame.WELCOME);
    client.send({ type: ClientCommand.RESPOND, id: "r", interrupt_id: "q", decision: Decision.APPROVE, payload: { note: "x\u0000y" } });
    expect(await client.next((f) => f.id === "r")).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.INVALID_COMMAND });
    client.socket.terminate();
  });
});
