// The one-time setup across a cluster: nodes on one PostgreSQL database that all receive a first-admin setup at once
// create exactly one account between them (the store's locked check), and the others are refused.
import { describe, expect, it } from "vitest";
import { Role } from "../../src/protocol/names.ts";
import { openDatabase } from "../../src/store/database.ts";
import { storeTargets } from "../../src/store/disposable-database.ts";
import { UserRepository } from "../../src/store/users.ts";

const postgres = storeTargets().find((target) => target.name === "postgres");
const NODES = 6;

describe.skipIf(postgres === undefined)("first account across nodes, on postgres", () => {
  it("creates one first account when every node races to set up", async () => {
    const disposable = await postgres!.create();
    // each node its own pool on the same database, like separate `apex serve` processes
    const nodes = await Promise.all(Array.from({ length: NODES }, () => openDatabase({ databaseUrl: disposable.url })));
    try {
      const results = await Promise.all(
        nodes.map((node, i) => new UserRepository(node.db).createFirst({ email: `admin${i}@example.com`, passwordHash: "x", role: Role.ADMIN })),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect(await new UserRepository(disposable.database.db).list()).toHaveLength(1);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await disposable.drop();
    }
  });
});

describe.each(storeTargets())("first account on $name", (target) => {
  it("is refused (null) once any account exists, and an ordinary account counts", async () => {
    const disposable = await target.create();
    try {
      const repo = new UserRepository(disposable.database.db);
      await repo.create({ email: "someone@example.com", passwordHash: "x" });
      expect(await repo.createFirst({ email: "late@example.com", passwordHash: "x", role: Role.ADMIN })).toBeNull();
    } finally {
      await disposable.drop();
    }
  });
});
