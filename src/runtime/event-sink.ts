import type { RunEvent } from "../protocol/events.ts";

// Where the emitter hands every run event. The durable event log and the bus plug in here (server issue); the
// in-memory sink below serves tests, benchmarks and the CLI.

export interface EventSink {
  /**
   * Appends one event of the run. The emitter calls it in `seq` order, one call at a time per run, and awaits it;
   * it resolves once the event is stored. `owner` is the user the run belongs to: it never goes on the wire.
   */
  append(event: RunEvent, owner: string): Promise<void>;
}

export type EventListener = (event: RunEvent) => void;

/** Keeps every run's events in memory and delivers them live to listeners of their owner only. */
export class MemoryEventSink implements EventSink {
  readonly #events = new Map<string, RunEvent[]>();
  readonly #owners = new Map<string, string>();
  readonly #listeners = new Map<string, Set<EventListener>>();

  async append(event: RunEvent, owner: string): Promise<void> {
    const known = this.#owners.get(event.run_id);
    if (known !== undefined && known !== owner) {
      throw new Error(`run ${event.run_id} belongs to another user; an event cannot change a run's owner`);
    }
    this.#owners.set(event.run_id, owner);
    const list = this.#events.get(event.run_id) ?? [];
    list.push(event);
    this.#events.set(event.run_id, list);
    for (const listener of this.#listeners.get(owner) ?? []) listener(event);
  }

  /** The events of a run, for its owner only; another user gets none, as if the run did not exist. */
  events(runId: string, owner: string): readonly RunEvent[] {
    return this.#owners.get(runId) === owner ? [...(this.#events.get(runId) ?? [])] : [];
  }

  runsOf(owner: string): string[] {
    return [...this.#owners].filter(([, o]) => o === owner).map(([runId]) => runId);
  }

  /** Live delivery of every event of `owner`'s runs; returns the function that stops it. */
  subscribe(owner: string, listener: EventListener): () => void {
    const set = this.#listeners.get(owner) ?? new Set<EventListener>();
    set.add(listener);
    this.#listeners.set(owner, set);
    return () => {
      set.delete(listener);
    };
  }

  /** Forgets a run (what retention does for the durable log). */
  forget(runId: string): void {
    this.#events.delete(runId);
    this.#owners.delete(runId);
  }
}
