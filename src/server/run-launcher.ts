import { randomUUID } from "node:crypto";
import { reportMarkdown } from "../agents/report-markdown.ts";
import { ApexError, toApexError } from "../protocol/errors.ts";
import { ErrorCode, EventType } from "../protocol/names.ts";
import type { RunOutcome } from "../runtime/engine.ts";
import type { ExecutionEngineFactory } from "../runtime/engine-factory.ts";
import type { StoreDb } from "../store/database.ts";
import type { EventLog } from "../store/event-log.ts";
import { MessageRepository } from "../store/messages.ts";
import { RunRepository } from "../store/runs.ts";
import { MessageRole } from "../store/schema.ts";
import { ThreadRepository } from "../store/threads.ts";
import type { AuthUser } from "./auth.ts";

// A user message becomes a run: the thread (created if none), the run row, the message, then the engine with the
// run's id so the row and the logged events agree. When the run ends, its report becomes the assistant message and
// the row records how it ended. The socket that asked plays no part after the start: a disconnect never cancels a run.

export interface RunLauncherOptions {
  db: StoreDb;
  /** The one engine factory of the process (only the methods that start and stop runs). */
  factory: Pick<ExecutionEngineFactory, "start" | "cancel" | "activeRuns">;
  log: EventLog;
  maxConcurrentRuns: number;
  /** How long a run row's lease lasts; this node renews it while the run executes. */
  leaseMs?: number;
  onError?: (error: unknown) => void;
}

export interface LaunchedRun {
  runId: string;
  threadId: string;
}

const DEFAULT_LEASE_MS = 30_000;
const TITLE_CHARS = 80;

export class RunLauncher {
  readonly #threads: ThreadRepository;
  readonly #messages: MessageRepository;
  readonly #runs: RunRepository;
  readonly #factory: RunLauncherOptions["factory"];
  readonly #log: EventLog;
  readonly #maxRuns: number;
  readonly #leaseMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #nodeId = randomUUID();
  readonly #endings = new Set<Promise<void>>();

  constructor(options: RunLauncherOptions) {
    this.#threads = new ThreadRepository(options.db);
    this.#messages = new MessageRepository(options.db);
    this.#runs = new RunRepository(options.db);
    this.#factory = options.factory;
    this.#log = options.log;
    this.#maxRuns = options.maxConcurrentRuns;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#onError = options.onError ?? (() => undefined);
  }

  /**
   * Stores the message and its run, calls `beforeStart` (the gateway subscribes the socket there, so it misses no
   * event), then starts the run. Throws `too_many_runs` before storing anything when the user is at the limit, and
   * `not_found` for a thread that is not the user's.
   */
  async launch(user: AuthUser, text: string, threadId: string | undefined, beforeStart: (run: LaunchedRun) => Promise<void>): Promise<LaunchedRun> {
    const inFlight = this.#factory.activeRuns(user.id).length;
    if (inFlight >= this.#maxRuns) {
      throw new ApexError(
        ErrorCode.TOO_MANY_RUNS,
        `You already have ${inFlight} runs in progress (the limit is ${this.#maxRuns}); wait for one to finish or cancel it.`,
        { retryable: true },
      );
    }
    const thread = threadId === undefined ? await this.#threads.create(user.id, titleOf(text)) : await this.#threads.get(user.id, threadId);
    if (thread === null) throw new ApexError(ErrorCode.NOT_FOUND, `Thread ${threadId} was not found; start a new conversation.`);
    const run = await this.#runs.create({ ownerId: user.id, threadId: thread.id, request: text, nodeId: this.#nodeId, leaseMs: this.#leaseMs });
    await this.#messages.append(user.id, { threadId: thread.id, role: MessageRole.USER, content: text, runId: run.id });
    await this.#threads.touch(user.id, thread.id);
    const launched = { runId: run.id, threadId: thread.id };
    let done: Promise<RunOutcome>;
    try {
      await beforeStart(launched);
      done = this.#factory.start({ userId: user.id, threadId: thread.id, runId: run.id, role: user.role, tier: user.tier, request: text }).done;
    } catch (error) {
      // The bus refused the subscription, or another socket of the same user took the last slot since the check above:
      // the run never starts, and its row says why.
      await this.#runs.markFailed(user.id, run.id, toApexError(error).toWire());
      throw error;
    }
    await this.#runs.markStarted(user.id, run.id);
    this.#track(this.#finish(user, launched, done));
    return launched;
  }

  /** Cancels the user's run; `not_found` when the user has no such run. False when it already ended. */
  async cancel(user: AuthUser, runId: string): Promise<boolean> {
    if (this.#factory.cancel(runId, user.id)) return true;
    if ((await this.#runs.get(user.id, runId)) === null) throw new ApexError(ErrorCode.NOT_FOUND, `Run ${runId} was not found.`);
    return false;
  }

  /** Waits until every ended run has its assistant message and its row closed. */
  async drain(): Promise<void> {
    while (this.#endings.size > 0) await Promise.all([...this.#endings]);
  }

  #track(ending: Promise<void>): void {
    const tracked = ending.catch(this.#onError).finally(() => this.#endings.delete(tracked));
    this.#endings.add(tracked);
  }

  async #finish(user: AuthUser, run: LaunchedRun, done: Promise<RunOutcome>): Promise<void> {
    const renew = setInterval(() => {
      this.#runs.renewLease(run.runId, this.#nodeId, this.#leaseMs).catch(this.#onError);
    }, Math.max(1000, Math.floor(this.#leaseMs / 3)));
    let outcome: RunOutcome;
    try {
      outcome = await done;
    } catch (error) {
      await this.#runs.markFailed(user.id, run.runId, toApexError(error, ErrorCode.EVENT_SINK_FAILED).toWire());
      return;
    } finally {
      clearInterval(renew);
    }
    if (outcome.status === "completed") {
      const events = await this.#log.read(run.runId, user.id);
      const final = events.find((event) => event.type === EventType.FINAL_REPORT);
      if (final?.type === EventType.FINAL_REPORT) {
        await this.#messages.append(user.id, { threadId: run.threadId, role: MessageRole.ASSISTANT, content: reportMarkdown(final.data.report), runId: run.runId });
        await this.#threads.touch(user.id, run.threadId);
      }
      await this.#runs.markCompleted(user.id, run.runId);
    } else if (outcome.status === "cancelled") {
      await this.#runs.markCancelled(user.id, run.runId);
    } else {
      const error = outcome.error ?? new ApexError(ErrorCode.INTERNAL, "The run failed without an error.");
      await this.#runs.markFailed(user.id, run.runId, error.toWire());
    }
  }
}

function titleOf(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line;
}
