import type { RunEvent } from "../protocol/events.ts";
import { deliver, type Bus, type BusListener, type BusNotice, type NoticeListener, type Unsubscribe } from "./bus.ts";

// The in-process bus of a single node (the default): delivery is synchronous, in publish order.

export interface MemoryBusOptions {
  /** A listener threw; the others still got the event. */
  onListenerError?: (error: unknown) => void;
}

export class MemoryBus implements Bus {
  readonly #listeners = new Map<string, Set<BusListener>>();
  readonly #noticeListeners = new Set<NoticeListener>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(options: MemoryBusOptions = {}) {
    this.#onListenerError = options.onListenerError ?? (() => undefined);
  }

  async publish(events: readonly RunEvent[]): Promise<void> {
    for (const event of events) {
      const listeners = this.#listeners.get(event.run_id);
      if (listeners !== undefined) deliver([...listeners], event, this.#onListenerError);
    }
  }

  async subscribe(runId: string, listener: BusListener): Promise<Unsubscribe> {
    const listeners = this.#listeners.get(runId) ?? new Set<BusListener>();
    listeners.add(listener);
    this.#listeners.set(runId, listeners);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#listeners.get(runId) === listeners) this.#listeners.delete(runId);
    };
  }

  async notify(notice: BusNotice): Promise<void> {
    for (const listener of [...this.#noticeListeners]) {
      try {
        listener(notice);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }

  async onNotice(listener: NoticeListener): Promise<Unsubscribe> {
    this.#noticeListeners.add(listener);
    return () => this.#noticeListeners.delete(listener);
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#noticeListeners.clear();
  }
}
