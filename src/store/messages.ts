import { and, asc, eq, gt } from "drizzle-orm";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { StoreDb } from "./database.ts";
import { messages, runs, threads, type MessageRoleName } from "./schema.ts";

// The messages of a thread, in the order they were stored. Reads and writes go through the thread's owner.

export type Message = typeof messages.$inferSelect;

export interface NewMessage {
  threadId: string;
  role: MessageRoleName;
  content: string;
  /** The run that produced (assistant) or started (user) this message; it must belong to the same thread. */
  runId?: string | null;
}

export interface MessagePage {
  /** Only messages stored after this one (its `id`); from the start when absent. */
  afterId?: number;
  limit?: number;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

export class MessageRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  /** Throws `not_found` when the thread (or the run) is not the owner's. */
  async append(ownerId: string, input: NewMessage): Promise<Message> {
    const runId = input.runId ?? null;
    const [thread] = await this.#db
      .select({ id: threads.id })
      .from(threads)
      .where(and(eq(threads.id, input.threadId), eq(threads.ownerId, ownerId)))
      .limit(1);
    if (thread === undefined) throw new ApexError(ErrorCode.NOT_FOUND, `Thread ${input.threadId} was not found; start a new conversation.`);
    if (runId !== null) {
      const [run] = await this.#db
        .select({ id: runs.id })
        .from(runs)
        .where(and(eq(runs.id, runId), eq(runs.threadId, input.threadId), eq(runs.ownerId, ownerId)))
        .limit(1);
      if (run === undefined) throw new ApexError(ErrorCode.NOT_FOUND, `Run ${runId} was not found in thread ${input.threadId}.`);
    }
    const [stored] = await this.#db
      .insert(messages)
      .values({ threadId: input.threadId, role: input.role, content: input.content, runId })
      .returning();
    if (stored === undefined) throw new ApexError(ErrorCode.INTERNAL, "The message was not stored; send it again.");
    return stored;
  }

  /** A page of the thread's messages, oldest first; empty when the thread is not the owner's. */
  async page(ownerId: string, threadId: string, page: MessagePage = {}): Promise<Message[]> {
    const limit = Math.min(Math.max(1, Math.trunc(page.limit ?? DEFAULT_PAGE)), MAX_PAGE);
    const rows = await this.#db
      .select({ message: messages })
      .from(messages)
      .innerJoin(threads, eq(threads.id, messages.threadId))
      .where(
        and(
          eq(messages.threadId, threadId),
          eq(threads.ownerId, ownerId),
          page.afterId === undefined ? undefined : gt(messages.id, page.afterId),
        ),
      )
      .orderBy(asc(messages.id))
      .limit(limit);
    return rows.map((row) => row.message);
  }
}
