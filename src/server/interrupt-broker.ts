import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { refuseAnswer, type Answer, type AnswerStatus, type InterruptBroker, type OpenInterrupt } from "../runtime/interrupts.ts";
import type { StoreDb } from "../store/database.ts";
import { InterruptRepository, type InterruptRow } from "../store/interrupts.ts";

// The broker of a cluster: questions and answers live in the app store, so `respond` may reach any node. The node that
// runs the agent learns of an answer at once when it was given on the same node, and otherwise by re-reading the row
// every poll interval (a question waits for a person: a fraction of a second more costs nothing).

const DEFAULT_POLL_MS = 250;

export class StoreInterruptBroker implements InterruptBroker {
  readonly #repo: InterruptRepository;
  readonly #pollMs: number;
  /** The runs on this node waiting for an answer: the wake-up of each, by question id. */
  readonly #waiting = new Map<string, () => void>();

  constructor(db: StoreDb, pollMs = DEFAULT_POLL_MS) {
    this.#repo = new InterruptRepository(db);
    this.#pollMs = pollMs;
  }

  async open(interrupt: OpenInterrupt): Promise<void> {
    const { id, runId, userId, kind, prompt, options, expiresAt } = interrupt;
    await this.#repo.create({ id, runId, ownerId: userId, kind, prompt, options, expiresAt });
  }

  async wait(id: string, signal: AbortSignal): Promise<Answer | null> {
    for (;;) {
      signal.throwIfAborted();
      const row = await this.#repo.findById(id);
      if (row === null) throw new ApexError(ErrorCode.NOT_FOUND, `Question ${id} was never opened.`);
      if (row.decision !== null) return answerOf(row);
      const left = row.expiresAt.getTime() - Date.now();
      if (left <= 0) return null;
      await this.#sleep(id, Math.min(left, this.#pollMs), signal);
    }
  }

  async answer(userId: string, id: string, answer: Answer): Promise<AnswerStatus> {
    for (;;) {
      const row = await this.#repo.find(userId, id);
      const recorded = row?.decision == null ? undefined : answerOf(row);
      const question = row === null ? undefined : { id: row.id, userId: row.ownerId, options: row.options, expiresAt: row.expiresAt };
      const refused = refuseAnswer(question, recorded, userId, answer);
      if (refused instanceof ApexError) throw refused;
      if (refused === "duplicate") return refused;
      // Conditional write: when another answer got in between, look again (it is a duplicate or a conflict now).
      if (await this.#repo.answer(userId, id, answer)) {
        this.#waiting.get(id)?.();
        return "accepted";
      }
    }
  }

  #sleep(id: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.#waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.#waiting.set(id, done);
    });
  }
}

function answerOf(row: InterruptRow): Answer {
  return { decision: row.decision ?? "", ...(row.payload == null ? {} : { payload: row.payload }) };
}
