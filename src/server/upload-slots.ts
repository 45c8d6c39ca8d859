import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";

// Uploads in progress per user on this node. Each holds a socket, a temp file and an ingest, so past the cap one more
// is refused at once (429 `rate_limited`, Retry-After) instead of piling up behind the others. And the temp files a
// killed server left in the uploads directory, removed when the next one starts (a data dir belongs to one node).

/** What a refused upload is told to wait before sending again, in seconds. */
export const UPLOAD_RETRY_AFTER_SECONDS = 5;

export class UploadSlots {
  readonly #max: number;
  readonly #held = new Map<string, number>();

  constructor(maxPerUser: number) {
    this.#max = maxPerUser;
  }

  /** Takes one of the user's slots: the function that gives it back (once), or undefined when all are taken. */
  take(userId: string): (() => void) | undefined {
    const held = this.#held.get(userId) ?? 0;
    if (held >= this.#max) return undefined;
    this.#held.set(userId, held + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.#held.get(userId) ?? 1) - 1;
      if (left === 0) this.#held.delete(userId);
      else this.#held.set(userId, left);
    };
  }

  /** The refusal of an upload past the cap. */
  refusal(): ApexError {
    return new ApexError(
      ErrorCode.RATE_LIMITED,
      `You already have ${this.#max} upload${this.#max === 1 ? "" : "s"} in progress; wait for one to finish, then send this file again (the limit is ${EnvVar.MAX_CONCURRENT_UPLOADS}).`,
      { retryable: true, details: { limit: this.#max, retry_after_seconds: UPLOAD_RETRY_AFTER_SECONDS } },
    );
  }
}

/** Removes every file left in `dir` (temp uploads of a server that was killed); the number removed. */
export async function sweepUploads(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0; // no uploads directory yet
  }
  await Promise.all(names.map((name) => rm(join(dir, name), { recursive: true, force: true })));
  return names.length;
}
