// Failed sign-ins counted per account (the email tried, whether or not it exists) and per client address over a
// sliding window. Past a few free failures each further failure blocks the key for twice as long as the last (1 s,
// 2 s, 4 s… up to 15 min); a blocked key is answered `rate_limited` without checking the password, so guessing costs
// the server nothing. The state is in memory, per node: a cluster of N nodes allows N times the attempts.

export interface LoginThrottleOptions {
  /** Failures of one account within the window before it is blocked. */
  accountFailures?: number;
  /** Failures from one address within the window (over all accounts) before it is blocked. */
  addressFailures?: number;
  windowMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Keys remembered at most; the least recently failed are forgotten first. */
  maxKeys?: number;
  now?: () => number;
}

export type ThrottleScope = "account" | "address";

/** A key that has just become blocked: the start of a throttled episode (audited once, not per attempt). */
export interface ThrottleEpisode {
  scope: ThrottleScope;
  /** The normalized email, or the address. */
  key: string;
  failures: number;
  retryAfterMs: number;
}

interface Entry {
  /** Times of the failures within the window, oldest first. */
  failures: number[];
  blockedUntil: number;
  /** The key was blocked since its failures began: further blocks belong to the same episode. */
  episode: boolean;
}

const DEFAULTS = {
  accountFailures: 5,
  addressFailures: 50,
  windowMs: 15 * 60_000,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
  maxKeys: 100_000,
};
/** Past this many failures the delay is at its cap anyway; older ones need not be kept. */
const KEPT_FAILURES = 64;

export class LoginThrottle {
  readonly #options: typeof DEFAULTS;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  #prunedAt = 0;

  constructor(options: LoginThrottleOptions = {}) {
    const { now, ...limits } = options;
    this.#options = { ...DEFAULTS, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) };
    this.#now = now ?? Date.now;
  }

  /** How long a sign-in for `email` from `address` must still wait; 0 when it may be tried now. */
  retryAfterMs(email: string, address: string): number {
    const now = this.#now();
    const wait = (key: string) => Math.max(0, (this.#entries.get(key)?.blockedUntil ?? 0) - now);
    return Math.max(wait(accountKey(email)), wait(addressKey(address)));
  }

  /** Counts a failed sign-in; returns the keys that it blocked for the first time in their episode. */
  failed(email: string, address: string): ThrottleEpisode[] {
    // Tidied as failures come, at most once a minute: no timer, and an idle node holds only its last minute's keys.
    if (this.#now() - this.#prunedAt >= 60_000) {
      this.#prunedAt = this.#now();
      this.prune();
    }
    const started: ThrottleEpisode[] = [];
    const pairs: [ThrottleScope, string, string, number][] = [
      ["account", normalize(email), accountKey(email), this.#options.accountFailures],
      ["address", address, addressKey(address), this.#options.addressFailures],
    ];
    for (const [scope, shown, key, free] of pairs) {
      const episode = this.#fail(key, free);
      if (episode !== undefined) started.push({ scope, key: shown, ...episode });
    }
    return started;
  }

  /** A correct password ends the account's episode (the address keeps its count: it may be guessing other accounts). */
  succeeded(email: string): void {
    this.#entries.delete(accountKey(email));
  }

  /** Forgets keys with no failure in the window and no block in force. */
  prune(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.blockedUntil <= now && (entry.failures.at(-1) ?? 0) <= now - this.#options.windowMs) this.#entries.delete(key);
    }
  }

  #fail(key: string, free: number): Omit<ThrottleEpisode, "scope" | "key"> | undefined {
    const now = this.#now();
    const entry = this.#entries.get(key) ?? { failures: [], blockedUntil: 0, episode: false };
    const since = now - this.#options.windowMs;
    entry.failures = entry.failures.filter((at) => at > since).slice(-(KEPT_FAILURES - 1));
    if (entry.failures.length === 0 && entry.blockedUntil <= now) entry.episode = false;
    entry.failures.push(now);
    // Re-inserted so the map's order is the order of last failure: the first key is the one to forget.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#options.maxKeys) this.#entries.delete(this.#entries.keys().next().value!);
    const over = entry.failures.length - free;
    if (over < 0) return undefined;
    const retryAfterMs = Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** over);
    entry.blockedUntil = now + retryAfterMs;
    if (entry.episode) return undefined;
    entry.episode = true;
    return { failures: entry.failures.length, retryAfterMs };
  }
}

function normalize(email: string): string {
  return email.trim().toLowerCase();
}

function accountKey(email: string): string {
  return `account:${normalize(email)}`;
}

function addressKey(address: string): string {
  return `address:${address}`;
}
