import { randomUUID } from "node:crypto";
import { reportMarkdown } from "../agents/report-markdown.ts";
import type { CatalogPin } from "../protocol/catalog.ts";
import type { WireError } from "../protocol/events.ts";
import { ApexError, toApexError } from "../protocol/errors.ts";
import { CancelledBy, ErrorCode, EventType } from "../protocol/names.ts";
import type { RunOutcome } from "../runtime/engine.ts";
import type { ExecutionEngineFactory } from "../runtime/engine-factory.ts";
import type { StoreDb } from "../store/database.ts";
import { isTransientDatabaseError, retryThroughOutage } from "../store/database-outage.ts";
import type { EventLog } from "../store/event-log.ts";
import { MessageRepository } from "../store/messages.ts";
import { RunRepository } from "../store/runs.ts";
import { MessageRole } from "../store/schema.ts";
import { ThreadRepository } from "../store/threads.ts";
import type { AuthUser } from "./auth.ts";
import type { Quotas } from "./quotas.ts";
import type { RunLeases } from "./run-leases.ts";
import { RunQueue, type PositionListener, type RunQueueOptions } from "./run-queue.ts";
import { Turns } from "./turns.ts";

// A user message becomes a run: its place in the node's queue, the thread (created if none), the run row (queued), the
// message, then the engine with the run's id so the row and the logged events agree; the engine starts when the queue
// admits the run. When the run ends, its report becomes the assistant message and the row records how it ended. The
// socket that asked plays no part after the start: a disconnect never cancels a run.

export interface RunLauncherOptions {
  db: StoreDb;
  /** The one engine factory of the process (only the methods that start and stop runs). */
  factory: Pick<ExecutionEngineFactory, "start" | "cancel" | "activeRuns" | "shutdown">;
  log: EventLog;
  maxConcurrentRuns: number;
  /** This node's leases: a run row is created under its lease, renewed while the run executes. */
  leases: Pick<RunLeases, "nodeId" | "leaseMs" | "hold" | "settle">;
  /** The per-tier runs-per-hour quota; absent, runs are limited only by `maxConcurrentRuns`. */
  quotas?: Pick<Quotas, "checkRuns">;
  onError?: (error: unknown) => void;
  /** How long the run's own writes at its start and end are retried through a database blip (default 15 s). */
  retryBudgetMs?: number;
  /** A run's own services, resolved once at its start (the supply catalog it prices with, pinned to `pin` if given). */
  runServices?: (user: AuthUser, pin: CatalogPin | undefined) => Promise<object>;
  /** How many runs execute at once on this node and how many may wait; absent, every run starts at once. */
  admission?: RunQueueOptions;
}

export interface LaunchedRun {
  runId: string;
  threadId: string;
  /** The run's place in the node's queue when it was stored: 0 = it starts at once, 1 = next. */
  queuePosition: number;
}

const UNLIMITED: RunQueueOptions = { maxInFlight: Number.POSITIVE_INFINITY, maxQueued: 0 };
/** Launches storing their message and run at once, with a queue (the app store's pool has 10 connections). */
const STORING_AT_ONCE = 8;
const TITLE_CHARS = 80;

export class RunLauncher {
  readonly #threads: ThreadRepository;
  readonly #messages: MessageRepository;
  readonly #runs: RunRepository;
  readonly #factory: RunLauncherOptions["factory"];
  readonly #log: EventLog;
  readonly #maxRuns: number;
  readonly #leases: RunLauncherOptions["leases"];
  readonly #quotas: RunLauncherOptions["quotas"];
  readonly #onError: (error: unknown) => void;
  readonly #runServices: RunLauncherOptions["runServices"];
  readonly #retryBudgetMs: number | undefined;
  readonly #queue: RunQueue;
  readonly #storing: Turns;
  readonly #endings = new Set<Promise<void>>();
  #accepting = true;

  constructor(options: RunLauncherOptions) {
    this.#threads = new ThreadRepository(options.db);
    this.#messages = new MessageRepository(options.db);
    this.#runs = new RunRepository(options.db);
    this.#factory = options.factory;
    this.#log = options.log;
    this.#maxRuns = options.maxConcurrentRuns;
    this.#leases = options.leases;
    this.#quotas = options.quotas;
    this.#onError = options.onError ?? (() => undefined);
    this.#runServices = options.runServices;
    this.#retryBudgetMs = options.retryBudgetMs;
    const admission = options.admission ?? UNLIMITED;
    this.#queue = new RunQueue(admission);
    // Without a queue every run starts at once anyway: storing in turn would only delay the acks.
    this.#storing = new Turns(Number.isFinite(admission.maxInFlight) ? STORING_AT_ONCE : Number.POSITIVE_INFINITY);
  }

  /**
   * Takes the run's place in the node's queue, stores the message and its run, calls `beforeStart` (the gateway
   * subscribes the socket there, so it misses no event, and tells the place), then hands the run to the engine, which
   * starts it when the queue admits it. Throws, before storing anything, `too_many_runs` when the user is at the limit
   * (runs waiting included), `server_busy` when the queue is full, `quota_exceeded` when they have started their tier's
   * runs per hour, and `not_found` for a thread not theirs. `pin` prices the run with those supply catalog versions
   * (default: the latest). `caller` must be the account as just read for this request (enabled, current role and tier).
   */
  async launch(
    caller: AuthUser,
    text: string,
    threadId: string | undefined,
    beforeStart: (run: LaunchedRun) => Promise<void>,
    pin?: CatalogPin,
  ): Promise<LaunchedRun> {
    this.#refuseWhenShuttingDown();
    // The caller was read from the store for this very request (REST authenticates each one; a socket re-reads the
    // account before each command), so a disabled account never gets here and role and tier are current.
    const user = caller;
    const inFlight = this.#factory.activeRuns(user.id).length;
    if (inFlight >= this.#maxRuns) {
      throw new ApexError(
        ErrorCode.TOO_MANY_RUNS,
        `You already have ${inFlight} runs in progress or waiting (the limit is ${this.#maxRuns}); wait for one to finish or cancel it.`,
        { retryable: true },
      );
    }
    // The place is taken before any await, so the bound holds however many messages arrive at once.
    const runId = randomUUID();
    const ticket = this.#queue.enter(user.id, runId);
    let stored = false;
    let unhold: (() => void) | undefined;
    let done: Promise<RunOutcome>;
    let launched: LaunchedRun;
    try {
      await this.#quotas?.checkRuns(user);
      const thread = threadId === undefined ? await this.#threads.create(user.id, titleOf(text)) : await this.#threads.get(user.id, threadId);
      if (thread === null) throw new ApexError(ErrorCode.NOT_FOUND, `Thread ${threadId} was not found; start a new conversation.`);
      await this.#runs.create({ id: runId, ownerId: user.id, threadId: thread.id, request: text, nodeId: this.#leases.nodeId, leaseMs: this.#leases.leaseMs });
      stored = true;
      unhold = this.#leases.hold(runId); // from its row on: a blip while it starts must not make it look dead
      launched = { runId, threadId: thread.id, queuePosition: this.#queue.position(runId) ?? 0 };
      this.#refuseWhenShuttingDown(); // the shutdown began while the run was being stored
      // Told its place as soon as its row exists (a burst of messages is acked sooner).
      await beforeStart(launched);
      // The rest is stored in turn: a burst of messages then holds a few of the store's connections instead of
      // queueing all its queries at once (the runs in flight would wait behind them to log their events).
      const release = await this.#storing.take();
      try {
        await this.#messages.append(user.id, { threadId: thread.id, role: MessageRole.USER, content: text, runId });
        await this.#threads.touch(user.id, thread.id);
        const services = await this.#runServices?.(user, pin);
        const request = { userId: user.id, threadId: thread.id, runId, role: user.role, tier: user.tier, request: text, startWhen: ticket.admitted };
        done = this.#factory.start(services === undefined ? request : { ...request, services }).done;
        // Acked, then the shutdown began: the run ends as cancelled by the server, logged like any other.
        if (!this.#accepting) this.#factory.cancel(runId, user.id, CancelledBy.SERVER);
      } finally {
        release();
      }
    } catch (error) {
      // Refused (quota, thread), the bus refused the subscription, or another socket of the same user took the last
      // slot since the check above: the run never starts, its place goes to the next, and its row says why.
      this.#queue.release(runId);
      unhold?.();
      if (stored) await this.#runs.markFailed(user.id, runId, toApexError(error).toWire());
      throw error;
    }
    // The run goes on even if its row cannot say "running" yet; its end is recorded all the same.
    if (ticket.position === 0) await this.#retried("the run could not be marked started", () => this.#runs.markStarted(user.id, runId)).catch(this.#onError);
    this.#track(this.#finish(user, launched, done, ticket.position === 0 ? undefined : ticket.admitted));
    return launched;
  }

  /** Cancels the user's run, running or waiting; `not_found` when the user has no such run. False when it already ended. */
  async cancel(user: AuthUser, runId: string): Promise<boolean> {
    if (this.#factory.cancel(runId, user.id)) {
      this.#queue.withdraw(runId); // a waiting run gives its place up now; its engine logs the cancel at once
      return true;
    }
    if ((await this.#runs.get(user.id, runId)) === null) throw new ApexError(ErrorCode.NOT_FOUND, `Run ${runId} was not found.`);
    return false;
  }

  /** The run's place in this node's queue (1 = next), or undefined when it is not waiting here. */
  queuePosition(runId: string): number | undefined {
    return this.#queue.position(runId);
  }

  /** Calls `listener` with the run's new place each time it changes while it waits on this node (throttled). */
  watchQueue(runId: string, listener: PositionListener): () => void {
    return this.#queue.watch(runId, listener);
  }

  /**
   * The graceful stop: refuses new runs from now on (`shutting_down`), lets the runs in flight finish and the waiting
   * ones start in turn for up to `deadlineMs`, then cancels what is left, waiting or running (as the server: each ends
   * with `run_cancelled`), and waits until every run's row is closed.
   */
  async shutdown(deadlineMs: number): Promise<void> {
    this.#accepting = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
    clearTimeout(timer);
    this.#queue.close();
    await this.#factory.shutdown();
    await this.drain();
  }

  /** Waits until every ended run has its assistant message and its row closed. */
  async drain(): Promise<void> {
    while (this.#endings.size > 0) await Promise.all([...this.#endings]);
  }

  #refuseWhenShuttingDown(): void {
    if (this.#accepting) return;
    throw new ApexError(ErrorCode.SHUTTING_DOWN, "This server is shutting down and starts no new analysis; send your message again in a moment.", {
      retryable: true,
    });
  }

  /** The run's own writes at its start and end, retried through a database blip: each is safe to repeat. */
  #retried<T>(what: string, work: () => Promise<T>): Promise<T> {
    return retryThroughOutage(work, { what, ...(this.#retryBudgetMs === undefined ? {} : { budgetMs: this.#retryBudgetMs }) });
  }

  #track(ending: Promise<void>): void {
    const tracked = ending.catch(this.#onError).finally(() => this.#endings.delete(tracked));
    this.#endings.add(tracked);
  }

  /** `admitted`: the run waits its turn, and its row is marked started when the queue admits it. */
  async #finish(user: AuthUser, run: LaunchedRun, done: Promise<RunOutcome>, admitted: Promise<void> | undefined): Promise<void> {
    // Held from the start: a run waiting its turn is alive too, and the sweeper must not close it as interrupted.
    // Another node closed the run while this one was cut off from the database: stop it (it can log nothing more).
    const release = this.#leases.hold(run.runId, () => this.#factory.cancel(run.runId, user.id));
    let started: Promise<unknown> | undefined;
    void admitted?.then(() => (started = this.#retried("the run could not be marked started", () => this.#runs.markStarted(user.id, run.runId)).catch(this.#onError)));
    let outcome: RunOutcome;
    try {
      outcome = await done;
    } catch (error) {
      await started;
      // The engine could not log its end (the event log refused or the database stayed away): this node keeps the
      // run and logs its true end as soon as it can, so no sweeper mistakes it for a dead node's.
      this.#leases.settle(run.runId, unloggedEnd(error));
      return;
    } finally {
      release();
      this.#queue.release(run.runId);
    }
    await started; // queued → running before running → ended; a run cancelled while waiting never started
    if (outcome.status === "completed") {
      const events = await this.#retried("the report could not be read", () => this.#log.read(run.runId, user.id));
      const final = events.find((event) => event.type === EventType.FINAL_REPORT);
      if (final?.type === EventType.FINAL_REPORT) {
        const content = reportMarkdown(final.data.report);
        await this.#retried("the report could not be stored", () => this.#messages.append(user.id, { threadId: run.threadId, role: MessageRole.ASSISTANT, content, runId: run.runId }));
        await this.#retried("the thread could not be updated", () => this.#threads.touch(user.id, run.threadId));
      }
      await this.#retried(ENDING, () => this.#runs.markCompleted(user.id, run.runId));
    } else if (outcome.status === "cancelled") {
      await this.#retried(ENDING, () => this.#runs.markCancelled(user.id, run.runId));
    } else {
      const error = outcome.error ?? new ApexError(ErrorCode.INTERNAL, "The run failed without an error.");
      await this.#retried(ENDING, () => this.#runs.markFailed(user.id, run.runId, error.toWire()));
    }
  }
}

const ENDING = "the run could not be recorded as ended";

/** The end a run whose engine could not log one is closed with: the database, when that is what stopped it. */
function unloggedEnd(error: unknown): WireError {
  const failure = toApexError(error, ErrorCode.EVENT_SINK_FAILED);
  if (!isTransientDatabaseError(failure)) return failure.toWire();
  return {
    code: ErrorCode.DATABASE_UNAVAILABLE,
    message: "The database was unreachable for longer than the server waits while this analysis ran, so it stopped; send your message again.",
  };
}

function titleOf(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > TITLE_CHARS ? `${line.slice(0, TITLE_CHARS - 1)}…` : line;
}
