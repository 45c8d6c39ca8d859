import type { RunEvent } from "../protocol/events.ts";
import { applyEvent, applyEvents, emptyRun, isTerminal, withDecision, withQueuePosition, type ApplyOutcome, type RunView } from "./run-state.ts";

// Every run the UI follows, by id, fed by the socket and by the REST log of older runs. It owns the last applied seq of
// each run (what a resubscribe starts from) and reports a gap to whoever can repair it. React reads it through
// `subscribe`/`snapshot` (useSyncExternalStore); each change replaces the snapshot, never mutates it.

export interface RunStoreHooks {
  /** A seq was skipped: resubscribe the run from its last applied seq. */
  onGap(runId: string): void;
  /** The run's terminal event was applied. */
  onFinished?(runId: string): void;
}

export class RunStore {
  readonly #hooks: RunStoreHooks;
  readonly #listeners = new Set<() => void>();
  #runs: ReadonlyMap<string, RunView> = new Map();

  constructor(hooks: RunStoreHooks) {
    this.#hooks = hooks;
  }

  get(runId: string): RunView | undefined {
    return this.#runs.get(runId);
  }

  lastSeq(runId: string): number {
    return this.#runs.get(runId)?.lastSeq ?? 0;
  }

  /** One event from the socket. */
  receive(event: RunEvent): ApplyOutcome {
    const { run, outcome } = applyEvent(this.#runs.get(event.run_id) ?? emptyRun(event.run_id, event.thread_id), event);
    if (outcome === "gap") this.#hooks.onGap(event.run_id);
    if (outcome !== "applied") return outcome;
    this.#set(run);
    if (isTerminal(event)) this.#hooks.onFinished?.(event.run_id);
    return outcome;
  }

  /** A page of logged events (GET /api/runs/:id/events), e.g. when an old thread is opened. */
  load(runId: string, events: readonly RunEvent[]): RunView {
    const { run } = applyEvents(this.#runs.get(runId) ?? emptyRun(runId), events);
    this.#set(run);
    return run;
  }

  /** The run's place in the server's queue (from the ack of the message, then `run_queued`). */
  queued(runId: string, position: number): void {
    const run = this.#runs.get(runId) ?? emptyRun(runId);
    const next = withQueuePosition(run, position);
    if (next !== run || !this.#runs.has(runId)) this.#set(next);
  }

  /** Records the decision this page sent for the run's question, so its card shows it (the events do not say). */
  decide(runId: string, interruptId: string, decision: string): void {
    const run = this.#runs.get(runId);
    if (run === undefined) return;
    const next = withDecision(run, interruptId, decision);
    if (next !== run) this.#set(next);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  snapshot = (): ReadonlyMap<string, RunView> => this.#runs;

  #set(run: RunView): void {
    const next = new Map(this.#runs);
    next.set(run.runId, run);
    this.#runs = next;
    for (const listener of this.#listeners) listener();
  }
}
