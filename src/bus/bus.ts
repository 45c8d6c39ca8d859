import type { RunEvent } from "../protocol/events.ts";

// The fan-out of run events to whoever follows a run, on this node or another. It carries envelopes only: who may see
// a run is decided by the gateway before it subscribes. Beside the runs, one notice channel reaches every node: an
// account changed (disabled, demoted), so each gateway re-reads it and closes what it may no longer keep open.

export type BusListener = (event: RunEvent) => void;
export type Unsubscribe = () => void;

/** What every node hears: ids only; a node reads the facts from the store. */
export type BusNotice = { kind: "account_changed"; user_id: string };
export type NoticeListener = (notice: BusNotice) => void;

export interface Bus {
  /** Delivers committed events to the run's subscribers, in the given order (per run, the `seq` order). */
  publish(events: readonly RunEvent[]): Promise<void>;
  /**
   * Follows one run. Resolves once the subscription is live, so a caller that subscribes, then reads the log, misses
   * nothing (it drops the duplicates by `seq`).
   */
  subscribe(runId: string, listener: BusListener): Promise<Unsubscribe>;
  /** Sends `notice` to the notice listeners of every node, this one included. */
  notify(notice: BusNotice): Promise<void>;
  /** Listens to the notices of every node; resolves once listening. */
  onNotice(listener: NoticeListener): Promise<Unsubscribe>;
  /** True when the bus answers within `timeoutMs` (Redis: a PING on both connections; in-process: always), for /ready. */
  ready(timeoutMs: number): Promise<boolean>;
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
