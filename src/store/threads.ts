import { randomUUID } from "node:crypto";
import { and, desc, eq, sql } from "drizzle-orm";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { StoreDb } from "./database.ts";
import { threads } from "./schema.ts";

// Conversations. Every method takes the owner and touches only that owner's threads: another user's thread behaves as
// if it did not exist.

export type Thread = typeof threads.$inferSelect;

const MAX_TITLE_CHARS = 200;

function checkedTitle(title: string): string {
  const trimmed = title.trim();
  if (trimmed === "") throw new ApexError(ErrorCode.INVALID_REQUEST, "A thread title cannot be empty; give it a few words.");
  if (trimmed.length > MAX_TITLE_CHARS) {
    throw new ApexError(ErrorCode.INVALID_REQUEST, `A thread title has at most ${MAX_TITLE_CHARS} characters; this one has ${trimmed.length}.`);
  }
  return trimmed;
}

export class ThreadRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  async create(ownerId: string, title: string): Promise<Thread> {
    const [created] = await this.#db.insert(threads).values({ id: randomUUID(), ownerId, title: checkedTitle(title) }).returning();
    if (created === undefined) throw new ApexError(ErrorCode.INTERNAL, "The new thread was not stored; try again.");
    return created;
  }

  async get(ownerId: string, threadId: string): Promise<Thread | null> {
    const [found] = await this.#db.select().from(threads).where(this.#mine(ownerId, threadId)).limit(1);
    return found ?? null;
  }

  /** The owner's threads, most recently active first. */
  async listByOwner(ownerId: string, limit = 100): Promise<Thread[]> {
    return this.#db
      .select()
      .from(threads)
      .where(eq(threads.ownerId, ownerId))
      .orderBy(desc(threads.updatedAt), desc(threads.id))
      .limit(limit);
  }

  /** The renamed thread, or null when the owner has no such thread. */
  async rename(ownerId: string, threadId: string, title: string): Promise<Thread | null> {
    const [renamed] = await this.#db
      .update(threads)
      .set({ title: checkedTitle(title), updatedAt: sql`now()` })
      .where(this.#mine(ownerId, threadId))
      .returning();
    return renamed ?? null;
  }

  /** Deletes the thread with its messages, runs and their events; false when the owner has no such thread. */
  async delete(ownerId: string, threadId: string): Promise<boolean> {
    const deleted = await this.#db.delete(threads).where(this.#mine(ownerId, threadId)).returning({ id: threads.id });
    return deleted.length > 0;
  }

  /** Marks the thread active now (a new message or run), so listings put it first. */
  async touch(ownerId: string, threadId: string): Promise<boolean> {
    const touched = await this.#db
      .update(threads)
      .set({ updatedAt: sql`now()` })
      .where(this.#mine(ownerId, threadId))
      .returning({ id: threads.id });
    return touched.length > 0;
  }

  #mine(ownerId: string, threadId: string) {
    return and(eq(threads.id, threadId), eq(threads.ownerId, ownerId));
  }
}
