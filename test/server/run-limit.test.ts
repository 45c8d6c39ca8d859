// The per-user limit on runs in flight, over the socket: a message past the limit gets `error too_many_runs` (with
// its id) and stores nothing; once the run in flight ends, the next message starts a run.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ClientCommand, ControlFrame, EnvVar, ErrorCode, RoutePath } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { get, startSignedIn, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const USER = { email: "eager@example.com", password: "eager-password-1" };
let server: TestServer;
let token = "";

beforeAll(async () => {
  ({ server, token } = await startSignedIn(storeTargets()[0]!, USER, { [EnvVar.MAX_CONCURRENT_RUNS]: "1" }));
});

afterAll(async () => {
  await server.stop();
});

it("refuses a second run while the first is in flight, then accepts one", async () => {
  const client = TestClient.open(server.url, token);
  await client.next((f) => f.type === ControlFrame.WELCOME);
  client.send({ type: ClientCommand.USER_MESSAGE, id: "one", text: "Where can I cut my LLM costs?" });
  client.send({ type: ClientCommand.USER_MESSAGE, id: "two", text: "And what about caching?" });
  const one = await client.next((f) => f.id === "one");
  const two = await client.next((f) => f.id === "two");
  expect(one.type).toBe(ControlFrame.ACK);
  expect(two).toMatchObject({ type: ControlFrame.ERROR, code: ErrorCode.TOO_MANY_RUNS });
  expect((await get(server.url + RoutePath.THREADS, token)).body.threads).toHaveLength(1); // the refused one stored nothing
  await client.runToEnd(String(one.run_id));
  await expect.poll(async () => (await get(`${server.url}/api/runs/${String(one.run_id)}/events`, token)).body.status).toBe("completed");
  client.send({ type: ClientCommand.USER_MESSAGE, id: "three", text: "And now?" });
  expect((await client.next((f) => f.id === "three")).type).toBe(ControlFrame.ACK);
  client.socket.terminate();
});
