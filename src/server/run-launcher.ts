import { reportMarkdown } from "../agents/report-markdown.ts";
import type { CatalogPin } from "../protocol/catalog.ts";
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
import { UserRepository } from "../store/users.ts";
import type { AuthUser } from "./auth.ts";
import type { Quotas } from "./quotas.ts";
import type { RunLeases } from "./run-leases.ts";

// A user message becomes a run: the thread (created if none), the run row, the message, then the engine with the
// run's id so the row and the logged events agree. When the run ends, its report becomes the assistant message and
// the row records how it ended. The socket that asked plays no part after the start: a disconnect never cancels a run.

export interface RunLauncherOptions {
  db: StoreDb;
  /** The one engine factory of the process (only the methods that start and stop runs). */
  factory: Pick<ExecutionEngineFactory, "start" | "cancel" | "activeRuns" | "shutdown">;
  log: EventLog;
  maxConcurrentRuns: number;
  /** This node's leases: a run row is created under its lease, renewed while the run executes. */
  leases: Pick<RunLeases, "nodeId" | "leaseMs" | "hold">;
  /** The per-tier runs-per-hour quota; absent, runs are limited only by `maxConcurrentRuns`. */
  quotas?: Pick<Quotas, "checkRuns">;
  onError?: (error: unknown) => void;
  /** A run's own services, resolved once at its start (the supply catalog it prices with, pinned to `pin` if given). */
  runServices?: (user: AuthUser, pin: CatalogPin | undefined) => Promise<object>;
}

export interface LaunchedRun {
  runId: string;
  threadId: string;
}

const TITLE_CHARS = 80;

export class RunLauncher {
  readonly #threads: ThreadRepository;
  readonly #messages: MessageRepository;
  readonly #runs: RunRepository;
  readonly #users: UserRepository;
  readonly #factory: RunLauncherOptions["factory"];
  readonly #log: EventLog;
  readonly #maxRuns: number;
  readonly #leases: RunLauncherOptions["leases"];
  readonly #quotas: RunLauncherOptions["quotas"];
  readonly #onError: (error: unknown) => void;
  readonly #runServices: RunLauncherOptions["runServices"];
  readonly #endings = new Set<Promise<void>>();
  #accepting = true;

  constructor(options: RunLauncherOptions) {
    this.#threads = new ThreadRepository(options.db);
    this.#messages = new MessageRepository(options.db);
    this.#runs = new RunRepository(options.db);
    this.#users = new UserRepository(options.db);
    this.#factory = options.factory;
    this.#log = options.log;
    this.#maxRuns = options.maxConcurrentRuns;
    this.#leases = options.leases;
    this.#quotas = options.quotas;
    this.#onError = options.onError ?? (() => undefined);
    this.#runServices = options.runServices;
  }

  /**
   * Stores the message and its run, calls `beforeStart` (the gateway subscribes the socket there, so it misses no
   * event), then starts the run. Throws `too_many_runs` before storing anything when the user is at the limit,
   * `quota_exceeded` when they have started their tier's runs per hour, and `not_found` for a thread not theirs.
   * `pin` prices the run with those supply catalog versions (default: the latest).
   */
  async launch(
    caller: AuthUser,
    text: string,
    threadId: string | undefined,
    beforeStart: (run: LaunchedRun) => Promise<void>,
    pin?: CatalogPin,
  ): Promise<LaunchedRun> {
    this.#refuseWhenShuttingDown();
    const user = await this.#current(caller);
    const inFlight = this.#factory.activeRuns(user.id).length;
    if (inFlight >= this.#maxRuns) {
      throw new ApexError(
        ErrorCode.TOO_MANY_RUNS,
        `You already have ${inFlight} runs in progress (the limit is ${this.#maxRuns}); wait for one to finish or cancel it.`,
        { retryable: true },
      );
    }
    await this.#quotas?.checkRuns(user);
    const thread = threadId === undefined ? await this.#threads.create(user.id, titleOf(text)) : await this.#threads.get(user.id, threadId);
    if (thread === null) throw new ApexError(ErrorCode.NOT_FOUND, `Thread ${threadId} was not found; start a new conversation.`);
    const services = await this.#runServices?.(user, pin);
    const run = await this.#runs.create({ ownerId: user.id, threadId: thread.id, request: text, nodeId: this.#leases.nodeId, leaseMs: this.#leases.leaseMs });
    await this.#messages.append(user.id, { threadId: thread.id, role: MessageRole.USER, content: text, runId: run.id });
    await this.#threads.touch(user.id, thread.id);
    const launched = { runId: run.id, threadId: thread.id };
    let done: Promise<RunOutcome>;
    try {
      await beforeStart(launched);
      this.#refuseWhenShuttingDown(); // the shutdown began while the run was being stored
      const request = { userId: user.id, threadId: thread.id, runId: run.id, role: user.role, tier: user.tier, request: text };
      done = this.#factory.start(services === undefined ? request : { ...request, services }).done;
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

  /**
   * The graceful stop: refuses new runs from now on (`shutting_down`), lets the runs in flight finish for up to
   * `deadlineMs`, then cancels what is left (as the server) and waits until every run's row is closed.
   */
  async shutdown(deadlineMs: number): Promise<void> {
    this.#accepting = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
    clearTimeout(timer);
    await this.#factory.shutdown();
    await this.drain();
  }

  /** Waits until every ended run has its assistant message and its row closed. */
  async drain(): Promise<void> {
    while (this.#endings.size > 0) await Promise.all([...this.#endings]);
  }

  /**
   * The caller's account as it is now: a socket authenticates once, but a role, tier or disabled state an admin changed
   * since then applies to its next run.
   */
  async #current(caller: AuthUser): Promise<AuthUser> {
    const account = await this.#users.findById(caller.id);
    if (account === null || account.disabledAt !== null) {
      throw new ApexError(ErrorCode.UNAUTHORIZED, "This account is disabled or no longer exists; ask an admin, then sign in again.");
    }
    return { ...caller, role: account.role, tier: account.tier };
  }

  #refuseWhenShuttingDown(): void {
    if (this.#accepting) return;
    throw new ApexError(ErrorCode.SHUTTING_DOWN, "This server is shutting down and starts no new analysis; send your message again in a moment.", {
      retryable: true,
    });
  }

  #track(ending: Promise<void>): void {
    const tracked = ending.catch(this.#onError).finally(() => this.#endings.delete(tracked));
    this.#endings.add(tracked);
  }

  async #finish(user: AuthUser, run: LaunchedRun, done: Promise<RunOutcome>): Promise<void> {
    const release = this.#leases.hold(run.runId);
    let outcome: RunOutcome;
    try {
      outcome = await done;
    } catch (error) {
      await this.#runs.markFailed(user.id, run.runId, toApexError(error, ErrorCode.EVENT_SINK_FAILED).toWire());
      return;
    } finally {
      release();
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
