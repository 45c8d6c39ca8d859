import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { refuseAnswer, type Answer, type AnswerStatus, type InterruptBroker, type OpenInterrupt } from "../runtime/interrupts.ts";
import type { StoreDb } from "../store/database.ts";
import { DEFAULT_RETRY_BUDGET_MS, isTransientDatabaseError, retryThroughOutage, storeError } from "../store/database-outage.ts";
import { InterruptRepository, type InterruptRow } from "../store/interrupts.ts";

// The broker of a cluster: questions and answers live in the app store, so `respond` may reach any node. The node that
// runs the agent learns of an answer at once when it was given on the same node, and otherwise by re-reading the row
// every poll interval (a question waits for a person: a fraction of a second more costs nothing). A database blip
// while it waits is waited out: the question stays pending for as long as it lives, however the database comes and goes.

const DEFAULT_POLL_MS = 250;

export class StoreInterruptBroker implements InterruptBroker {
  readonly #repo: InterruptRepository;
  readonly #pollMs: number;
  readonly #retryBudgetMs: number;
  /** The runs on this node waiting for an answer: the wake-up of each, by question id. */
  readonly #waiting = new Map<string, () => void>();

  constructor(db: StoreDb, pollMs = DEFAULT_POLL_MS, retryBudgetMs = DEFAULT_RETRY_BUDGET_MS) {
    this.#repo = new InterruptRepository(db);
    this.#pollMs = pollMs;
    this.#retryBudgetMs = retryBudgetMs;
  }

  async open(interrupt: OpenInterrupt): Promise<void> {
    const { id, runId, userId, kind, prompt, options, expiresAt } = interrupt;
    let attempts = 0;
    await retryThroughOutage(
      async () => {
        // A retry looks for the row first: the attempt before may have committed it before its connection dropped.
        if ((attempts += 1) > 1 && (await this.#repo.findById(id)) !== null) return;
        await this.#repo.create({ id, runId, ownerId: userId, kind, prompt, options, expiresAt });
      },
      { budgetMs: this.#retryBudgetMs, what: "the question could not be asked" },
    );
  }

  async wait(id: string, signal: AbortSignal): Promise<Answer | null> {
    let expiresAt = 0;
    let failingSince: number | undefined;
    for (;;) {
      signal.throwIfAborted();
      let row: InterruptRow | null;
      try {
        row = await this.#repo.findById(id);
        failingSince = undefined;
      } catch (error) {
        if (!isTransientDatabaseError(error)) throw error;
        failingSince ??= Date.now();
        // Given up only once the question is over and the retries spent; until then the answer is read when it can be.
        if (Date.now() > Math.max(expiresAt, failingSince + this.#retryBudgetMs)) throw storeError(error, "the answer to the question could not be read");
        await this.#sleep(id, this.#pollMs, signal);
        continue;
      }
      if (row === null) throw new ApexError(ErrorCode.NOT_FOUND, `Question ${id} was never opened.`);
      if (row.decision !== null) return answerOf(row);
      expiresAt = row.expiresAt.getTime();
      const left = expiresAt - Date.now();
      if (left <= 0) return null;
      await this.#sleep(id, Math.min(left, this.#pollMs), signal);
    }
  }

  async answer(userId: string, id: string, answer: Answer): Promise<AnswerStatus> {
    try {
      return await this.#answer(userId, id, answer);
    } catch (error) {
      throw storeError(error, "your answer could not be recorded");
    }
  }

  async #answer(userId: string, id: string, answer: Answer): Promise<AnswerStatus> {
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
