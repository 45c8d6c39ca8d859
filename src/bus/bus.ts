import type { RunEvent } from "../protocol/events.ts";

// The fan-out of run events to whoever follows a run, on this node or another. It carries envelopes only: who may see
// a run is decided by the gateway before it subscribes.

export type BusListener = (event: RunEvent) => void;
export type Unsubscribe = () => void;

export interface Bus {
  /** Delivers committed events to the run's subscribers, in the given order (per run, the `seq` order). */
  publish(events: readonly RunEvent[]): Promise<void>;
  /**
   * Follows one run. Resolves once the subscription is live, so a caller that subscribes, then reads the log, misses
   * nothing (it drops the duplicates by `seq`).
   */
  subscribe(runId: string, listener: BusListener): Promise<Unsubscribe>;
  close(): Promise<void>;
}

/** Calls each listener of `listeners`, isolating them: one throwing listener does not starve the others. */
export function deliver(listeners: Iterable<BusListener>, event: RunEvent, onError: (error: unknown) => void): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch (error) {
      onError(error);
    }
  }
}
