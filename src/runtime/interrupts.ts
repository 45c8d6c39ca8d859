import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";

// Human in the loop: an agent asks a question (`awaiting_input`) and waits for the run's owner to answer (`respond`).
// Where questions are kept and how an answer reaches the waiting run is the broker's business: in memory for one
// process (this file), in the database across nodes (src/server/). The first answer wins; the same answer again is
// acknowledged as a duplicate; a different one after it, or any answer after expiry, is refused with a code.

export interface Question {
  kind: string;
  /** What the user is asked, as one or two sentences. */
  prompt: string;
  /** The decisions the user may send, e.g. approve / modify / decline. */
  options: string[];
  /** How long the question stays open; unanswered, the agent gets `null`. */
  expiresInMs: number;
}

export interface Answer {
  decision: string;
  payload?: Record<string, unknown>;
}

export interface OpenInterrupt {
  id: string;
  runId: string;
  userId: string;
  kind: string;
  prompt: string;
  options: string[];
  expiresAt: Date;
}

export type AnswerStatus = "accepted" | "duplicate";

export interface InterruptBroker {
  /** Records a question before its `awaiting_input` is emitted, so an answer can never arrive for an unknown one. */
  open(interrupt: OpenInterrupt): Promise<void>;
  /** Waits for the answer; null when the question expires unanswered; rejects with the signal's reason on abort. */
  wait(id: string, signal: AbortSignal): Promise<Answer | null>;
  /**
   * The owner's answer. `not_found` for another user's or an unknown question, `interrupt_expired` past its expiry,
   * `interrupt_answered` when a different answer was recorded first, `invalid_request` for a decision not offered.
   */
  answer(userId: string, id: string, answer: Answer): Promise<AnswerStatus>;
}

/** The checks every broker applies to an answer, given what it knows of the question; null when it may be recorded. */
export function refuseAnswer(
  question: Pick<OpenInterrupt, "id" | "userId" | "options" | "expiresAt"> | undefined,
  recorded: Answer | undefined,
  userId: string,
  answer: Answer,
  now = Date.now(),
): ApexError | AnswerStatus | null {
  if (question === undefined || question.userId !== userId) {
    return new ApexError(ErrorCode.NOT_FOUND, "That question was not found; it may belong to a run that is not yours.");
  }
  if (recorded !== undefined) {
    if (recorded.decision === answer.decision && JSON.stringify(recorded.payload ?? null) === JSON.stringify(answer.payload ?? null)) {
      return "duplicate";
    }
    return new ApexError(ErrorCode.INTERRUPT_ANSWERED, `This question was already answered with "${recorded.decision}"; an answer cannot be changed.`);
  }
  if (question.expiresAt.getTime() <= now) {
    return new ApexError(ErrorCode.INTERRUPT_EXPIRED, "This question expired before it was answered; send your request again to be asked anew.");
  }
  if (!question.options.includes(answer.decision)) {
    return new ApexError(ErrorCode.INVALID_REQUEST, `"${answer.decision}" is not one of the choices offered: ${question.options.join(", ")}.`);
  }
  return null;
}

interface Pending {
  question: OpenInterrupt;
  answer?: Answer;
  wake: Set<() => void>;
}

/** The broker of one process: questions and answers in memory, answers handed straight to the waiting run. */
export class MemoryInterruptBroker implements InterruptBroker {
  readonly #pending = new Map<string, Pending>();

  async open(interrupt: OpenInterrupt): Promise<void> {
    this.#pending.set(interrupt.id, { question: interrupt, wake: new Set() });
  }

  wait(id: string, signal: AbortSignal): Promise<Answer | null> {
    const pending = this.#pending.get(id);
    if (pending === undefined) return Promise.reject(new ApexError(ErrorCode.NOT_FOUND, `Question ${id} was never opened.`));
    return new Promise<Answer | null>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        pending.wake.delete(finish);
        this.#forgetLater(id);
        resolve(pending.answer ?? null);
      };
      const onAbort = (): void => {
        clearTimeout(timer);
        pending.wake.delete(finish);
        this.#pending.delete(id);
        reject(signal.reason);
      };
      const timer = setTimeout(finish, Math.max(0, pending.question.expiresAt.getTime() - Date.now()));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      pending.wake.add(finish);
      if (pending.answer !== undefined) finish();
    });
  }

  async answer(userId: string, id: string, answer: Answer): Promise<AnswerStatus> {
    const pending = this.#pending.get(id);
    const refused = refuseAnswer(pending?.question, pending?.answer, userId, answer);
    if (refused instanceof ApexError) throw refused;
    if (refused === "duplicate") return refused;
    pending!.answer = { decision: answer.decision, ...(answer.payload === undefined ? {} : { payload: answer.payload }) };
    for (const wake of [...pending!.wake]) wake();
    return "accepted";
  }

  /** Kept a little after the wait ends, so a duplicate answer is still recognised as one. */
  #forgetLater(id: string): void {
    setTimeout(() => this.#pending.delete(id), FORGET_AFTER_MS).unref?.();
  }
}

const FORGET_AFTER_MS = 10 * 60_000;
