import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { StoreDb } from "./database.ts";
import { interrupts } from "./schema.ts";

// The questions agents ask their run's owner and the answers, kept in the app store so that an answer given on any node
// reaches the run on whichever node executes it. Every read and write is scoped to the owner.

export type InterruptRow = typeof interrupts.$inferSelect;

export interface NewInterrupt {
  id: string;
  runId: string;
  ownerId: string;
  kind: string;
  prompt: string;
  options: string[];
  expiresAt: Date;
}

export interface RecordedAnswer {
  decision: string;
  payload?: Record<string, unknown>;
}

export class InterruptRepository {
  readonly #db: StoreDb;

  constructor(db: StoreDb) {
    this.#db = db;
  }

  async create(input: NewInterrupt): Promise<void> {
    await this.#db.insert(interrupts).values(input);
  }

  /** The owner's question; null for an unknown id or another user's. */
  async find(ownerId: string, id: string): Promise<InterruptRow | null> {
    const [row] = await this.#db.select().from(interrupts).where(and(eq(interrupts.id, id), eq(interrupts.ownerId, ownerId))).limit(1);
    return row ?? null;
  }

  /** A question by id alone: for the node whose run waits on it (the run knows its own question). */
  async findById(id: string): Promise<InterruptRow | null> {
    const [row] = await this.#db.select().from(interrupts).where(eq(interrupts.id, id)).limit(1);
    return row ?? null;
  }

  /** Records the answer if the question is the owner's, unanswered and not expired; true when this call recorded it. */
  async answer(ownerId: string, id: string, answer: RecordedAnswer): Promise<boolean> {
    const rows = await this.#db
      .update(interrupts)
      .set({ decision: answer.decision, payload: answer.payload ?? null, answeredAt: sql`now()` })
      .where(and(eq(interrupts.id, id), eq(interrupts.ownerId, ownerId), isNull(interrupts.decision), gt(interrupts.expiresAt, sql`now()`)))
      .returning({ id: interrupts.id });
    return rows.length === 1;
  }
}
