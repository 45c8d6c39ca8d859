// Heartbeats: the server pings every socket each heartbeat_ms; a client that answers stays, one that does not (its
// reads are stalled, so it never sees the ping) is terminated after the next beat.
import type { Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ClientCommand, ControlFrame, EnvVar } from "../../src/protocol/names.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { startSignedIn, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const HEARTBEAT_MS = 1000;
const USER = { email: "beat@example.com", password: "beat-password-1" };
let server: TestServer;
let token = "";

beforeAll(async () => {
  ({ server, token } = await startSignedIn(storeTargets()[0]!, USER, { [EnvVar.HEARTBEAT_MS]: String(HEARTBEAT_MS) }));
});

afterAll(async () => {
  await server.stop();
});

it("keeps a responsive socket and terminates a dead one", async () => {
  const live = TestClient.open(server.url, token);
  const dead = TestClient.open(server.url, token);
  await live.next((f) => f.type === ControlFrame.WELCOME);
  expect((await dead.next((f) => f.type === ControlFrame.WELCOME)).heartbeat_ms).toBe(HEARTBEAT_MS);
  let pings = 0;
  live.socket.on("ping", () => (pings += 1));
  const tcp = (dead.socket as unknown as { _socket: Socket })._socket;
  tcp.pause();
  await new Promise((resolve) => setTimeout(resolve, 3.5 * HEARTBEAT_MS));
  tcp.resume();
  expect((await dead.closed).code).toBe(1006); // cut without a closing handshake
  expect(pings).toBeGreaterThanOrEqual(2);
  live.send({ type: ClientCommand.PING, id: "still" });
  expect((await live.next((f) => f.id === "still")).type).toBe(ControlFrame.PONG);
  live.socket.terminate();
});
