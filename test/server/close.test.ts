import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { RoutePath } from "../../src/protocol/names.ts";
import { openDatabase } from "../../src/store/database.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { startServer } from "./test-server.ts";

describe("closing the app", () => {
  it("is idempotent: concurrent and repeated closes all resolve, and the stores are released once", async () => {
    const pglite = storeTargets().find((t) => t.name === "pglite");
    if (pglite === undefined) throw new Error("the PGlite store target is always available");
    const server = await startServer(pglite);
    expect((await fetch(server.url + RoutePath.HEALTH)).status).toBe(200);
    // Count the real closes of the app store (the call still goes through to it).
    const database = server.app.database as { close: () => Promise<void> };
    const closeDatabase = database.close.bind(database);
    let databaseCloses = 0;
    database.close = async () => {
      databaseCloses += 1;
      await closeDatabase();
    };

    await Promise.all([server.app.close(), server.app.close()]);
    await server.app.close();
    expect(databaseCloses).toBe(1);
    await expect(fetch(server.url + RoutePath.HEALTH)).rejects.toThrow();

    // The embedded database was closed, so the same directory opens again in this process.
    const reopened = await openDatabase({ dataDir: server.dataDir });
    await reopened.close();
    await server.stop();
  });

  it("is not held open by a connection that never sent a request (a browser's preconnect)", async () => {
    const pglite = storeTargets().find((t) => t.name === "pglite");
    if (pglite === undefined) throw new Error("the PGlite store target is always available");
    const server = await startServer(pglite);
    const { port } = new URL(server.url);
    const preconnected = await new Promise<Socket>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => resolve(socket));
      socket.once("error", reject);
    });
    const dropped = new Promise<void>((resolve) => preconnected.once("close", () => resolve()));
    // Before the fix this close waited until the client hung up (minutes for Chromium, forever for this socket).
    await server.stop();
    await dropped;
    expect(preconnected.destroyed).toBe(true);
  });
});
