// Per-user command budget over a sliding minute (two fixed windows, weighted), shared by all of a user's sockets.
// Past the limit a frame is refused; past twice the limit the caller is abusing and the socket is closed.

export type RateVerdict = "ok" | "limited" | "abusive";

interface Window {
  start: number;
  current: number;
  previous: number;
}

const WINDOW_MS = 60_000;

export class RateLimiter {
  readonly #perMinute: number;
  readonly #windows = new Map<string, Window>();
  readonly #now: () => number;

  constructor(perMinute: number, now: () => number = Date.now) {
    this.#perMinute = perMinute;
    this.#now = now;
  }

  /** Counts one frame of `key` and says whether it may be served. */
  hit(key: string): RateVerdict {
    const now = this.#now();
    const window = this.#advance(key, now);
    window.current += 1;
    const elapsed = (now - window.start) / WINDOW_MS;
    const rate = window.previous * (1 - elapsed) + window.current;
    if (rate > 2 * this.#perMinute) return "abusive";
    return rate > this.#perMinute ? "limited" : "ok";
  }

  /** Forgets windows idle for two minutes, so the map holds only active users. */
  prune(): void {
    const now = this.#now();
    for (const [key, window] of this.#windows) if (now - window.start >= 2 * WINDOW_MS) this.#windows.delete(key);
  }

  #advance(key: string, now: number): Window {
    const window = this.#windows.get(key);
    if (window === undefined) {
      const fresh = { start: now, current: 0, previous: 0 };
      this.#windows.set(key, fresh);
      return fresh;
    }
    const passed = Math.floor((now - window.start) / WINDOW_MS);
    if (passed >= 1) {
      window.previous = passed === 1 ? window.current : 0;
      window.current = 0;
      window.start += passed * WINDOW_MS;
    }
    return window;
  }
}
