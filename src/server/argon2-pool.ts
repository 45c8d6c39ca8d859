import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/argon2";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";

// Argon2 runs on libuv's thread pool (4 threads) and takes a core for ~20 ms per call: 400 logins at once took every
// core and the thread pool from the event loop (/health at 5.7 s). This pool lets `concurrency` hashes run at once
// (one core is left to the loop), queues a bounded number more, FIFO, and refuses the rest at once (`rate_limited`).

export interface Argon2PoolOptions {
  /** Hashes computed at once; the cores less one (at least one) by default. */
  concurrency?: number;
  /** Calls waiting for a slot, beyond which a call is refused at once. */
  queueLimit?: number;
}

/** Seconds a refused caller is told to wait (`Retry-After`): the queue drains in well under that. */
const BUSY_RETRY_AFTER_S = 1;
const QUEUED_PER_SLOT = 32;

export class Argon2Pool {
  readonly concurrency: number;
  readonly queueLimit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(options: Argon2PoolOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism() - 1);
    this.queueLimit = Math.max(0, options.queueLimit ?? this.concurrency * QUEUED_PER_SLOT);
  }

  /** Calls running and waiting now (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  hash(password: string): Promise<string> {
    return this.run(() => hash(password));
  }

  /** False for a wrong password and for a malformed hash alike. */
  verify(passwordHash: string, password: string): Promise<boolean> {
    return this.run(() => verifyHash(passwordHash, password));
  }

  /**
   * Runs `work` in a slot: what leads to one hash (a sign-in's account lookup too) waits here, so a refused burst costs
   * neither argon2 nor the database anything. `work` must not call the pool again (it would wait for itself).
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#waiting.length >= this.queueLimit) {
        throw new ApexError(ErrorCode.RATE_LIMITED, `The server is busy checking other sign-ins; try again in ${BUSY_RETRY_AFTER_S} second.`, {
          details: { retry_after_s: BUSY_RETRY_AFTER_S },
          retryable: true,
        });
      }
      // The slot is handed over by the finishing call (#running stays counted), so no newcomer can overtake the queue.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running += 1;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next === undefined) this.#running -= 1;
      else next();
    }
  }
}

/** One verification, outside the pool: for work already running in a slot. False for a wrong password or a bad hash. */
export function verifyHash(passwordHash: string, password: string): Promise<boolean> {
  return verify(passwordHash, password).catch(() => false);
}
