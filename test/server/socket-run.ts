import type { RunEvent } from "../../src/protocol/events.ts";
import { ClientCommand, ControlFrame } from "../../src/protocol/names.ts";
import { TestClient } from "./ws-client.ts";

// One message over a fresh socket, followed to the end of its run: what the metrics, telemetry and retention tests
// start from. The socket stays open (a test may count it); the caller closes it.

export async function runOverSocket(url: string, token: string, text: string): Promise<{ client: TestClient; events: RunEvent[] }> {
  const client = TestClient.open(url, token);
  await client.next((f) => f.type === ControlFrame.WELCOME);
  client.send({ type: ClientCommand.USER_MESSAGE, id: "m", text });
  const ack = await client.next((f) => f.id === "m" && f.type === ControlFrame.ACK);
  return { client, events: await client.runToEnd(String(ack.run_id)) };
}
