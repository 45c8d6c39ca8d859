// A WebSocket whose sign-in fails because the database does is closed with a reason that says what to do, never the
// database error's text (issue 13, finding 9: during an outage the close reason carried the SQL of the failed query).
// The app store is closed under a running server: the token check's query fails as it would during an outage.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { startSignedIn, type TestServer } from "./test-server.ts";
import { TestClient } from "./ws-client.ts";

const USER = { email: "outage@example.com", password: "outage-password-12" };
const [pglite] = storeTargets({});

describe("WebSocket close reason during a database failure", () => {
  let server: TestServer;
  let token = "";

  beforeAll(async () => {
    ({ server, token } = await startSignedIn(pglite!, USER));
  });

  afterAll(async () => {
    await server.stop();
  });

  it("names no SQL, parameter or user id", async () => {
    const userId = (await server.app.auth.authenticate(token)).id;
    await server.app.database.close();
    const client = TestClient.open(server.url, token);
    const { reason } = await client.closed;
    expect(reason).not.toMatch(/select|from|params|failed query/i);
    expect(reason).not.toContain(userId);
    expect(reason).toMatch(/reconnect/i);
  });
});
