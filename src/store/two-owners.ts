import type { StoreDb } from "./database.ts";
import { ThreadRepository } from "./threads.ts";
import { UserRepository } from "./users.ts";

// The fixture of the isolation tests and benchmarks: two accounts, and one thread of the first.

export interface TwoOwners {
  alice: string;
  mallory: string;
  /** A thread of alice's. */
  thread: string;
}

export async function seedTwoOwners(db: StoreDb): Promise<TwoOwners> {
  const users = new UserRepository(db);
  const alice = (await users.create({ email: "alice@example.com", passwordHash: "$argon2id$alice" })).id;
  const mallory = (await users.create({ email: "mallory@example.com", passwordHash: "$argon2id$mallory" })).id;
  const thread = (await new ThreadRepository(db).create(alice, "Where does the money go?")).id;
  return { alice, mallory, thread };
}
