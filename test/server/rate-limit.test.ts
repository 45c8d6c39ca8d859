// The per-user frame budget over a real socket: past the limit each frame is answered `rate_limited`; past twice the
// limit the socket is closed with 1008. The budget is the user's, shared by all of their sockets.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ClientCommand, ControlFrame, EnvVar, ErrorCode } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { startSignedIn, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const LIMIT = 5;
const USER = { email: "busy@example.com", password: "busy-password-1" };
let server: TestServer;
let token = "";

beforeAll(async () => {
  ({ server, token } = await startSignedIn(storeTargets()[0]!, USER, { [EnvVar.RATE_LIMIT_PER_MINUTE]: String(LIMIT) }));
});

afterAll(async () => {
  await server.stop();
});

it("refuses frames past the limit, then closes the socket of an abusive user with 1008", async () => {
  const first = TestClient.open(server.url, token);
  const second = TestClient.open(server.url, token);
  await first.next((f) => f.type === ControlFrame.WELCOME);
  await second.next((f) => f.type === ControlFrame.WELCOME);
  for (let i = 0; i < 3; i += 1) first.send({ type: ClientCommand.PING, id: `a${i}` });
  for (let i = 0; i < 2; i += 1) second.send({ type: ClientCommand.PING, id: `b${i}` });
  await first.next((f) => f.id === "a2");
  await second.next((f) => f.id === "b1");
  // the user's five frames are spent across both sockets
  for (let i = 0; i < LIMIT; i += 1) first.send({ type: ClientCommand.PING, id: `c${i}` });
  first.send({ type: ClientCommand.PING, id: "last" });
  const closed = await first.closed;
  expect(closed.code).toBe(1008);
  const refusals = first.frames.filter((f) => f.type === ControlFrame.ERROR);
  expect(refusals).toHaveLength(LIMIT + 1);
  expect(refusals.every((f) => f.code === ErrorCode.RATE_LIMITED)).toBe(true);
  expect(first.frames.filter((f) => f.type === ControlFrame.PONG).map((f) => f.id)).toEqual(["a0", "a1", "a2"]);
  second.socket.terminate();
});
