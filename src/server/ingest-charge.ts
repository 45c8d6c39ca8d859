import type { Admission, CommittedWrite } from "../analytics/ingest.ts";
import { ApexError, isApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { IngestLogRepository } from "../store/ingest-log.ts";
import type { WindowUse } from "../store/quota-usage.ts";
import { IngestStatus } from "../store/schema.ts";

// One ingest's charge against its owner's per-day record quota, and its outcome in the ingest log. Each batch reserves
// its records before it is written (atomically with the owner's other ingests on every node), the duplicates are given
// back once it is written, and the end charges exactly the records kept: complete, or `partial` when anything stopped it.
// While it runs, its node renews its lease, so a node that dies leaves an ingest the sweeper closes as partial.

export interface IngestChargeOptions {
  log: Pick<IngestLogRepository, "reserve" | "release" | "renew" | "finish" | "discard">;
  /** The ingest's row in the log (begun running). */
  id: number;
  ownerId: string;
  corpus: string;
  /** Records per `windowMs`; 0 means no limit. */
  limit: number;
  windowMs: number;
  nodeId: string;
  leaseMs: number;
  renewMs: number;
  /** The quota_exceeded error of a window found full (`uses`) after `kept` records were kept (quotas.ts says it). */
  spent(uses: readonly WindowUse[], kept: number): ApexError;
}

export class IngestCharge {
  readonly #options: IngestChargeOptions;
  readonly #renewal: NodeJS.Timeout;
  #kept = 0;
  #stop: ApexError | undefined;

  constructor(options: IngestChargeOptions) {
    this.#options = options;
    const { log, id, nodeId, leaseMs, renewMs } = options;
    // A failed renewal is retried on the next tick; a lapse means the sweeper closes the ingest as partial.
    this.#renewal = setInterval(() => void log.renew(id, nodeId, leaseMs).catch(() => undefined), renewMs);
    this.#renewal.unref();
  }

  /** The records kept so far (new ones; duplicates of records already stored are not charged). */
  get kept(): number {
    return this.#kept;
  }

  /** Reserves the batch's records; when the quota has less room, those that fit and the error the ingest stops with. */
  readonly beforeWrite = async (count: number): Promise<Admission> => {
    const { log, id, ownerId, limit, windowMs, leaseMs } = this.#options;
    const { granted, uses } = await log.reserve(id, ownerId, count, { limit, windowMs, leaseMs });
    if (granted >= count) return { allowed: count };
    return { allowed: granted, stop: () => (this.#stop = this.#options.spent(uses, this.#kept)) };
  };

  /** Charges a committed write the records it added and gives back the rest of its reservation. */
  readonly afterWrite = async (write: CommittedWrite): Promise<void> => {
    this.#kept += write.inserted;
    await this.#options.log.release(this.#options.id, write.admitted - write.inserted);
  };

  /** Ends the ingest as complete, charged what it kept. */
  async complete(): Promise<void> {
    clearInterval(this.#renewal);
    await this.#options.log.finish(this.#options.id, { status: IngestStatus.COMPLETE, records: this.#kept });
  }

  /**
   * Ends a failed ingest: charged what it kept, and its corpus marked partial when that is anything (an ingest that kept
   * nothing leaves no trace). The error to answer: `error`, saying how many records were kept.
   */
  async fail(error: unknown): Promise<unknown> {
    clearInterval(this.#renewal);
    const { log, id, corpus } = this.#options;
    if (this.#kept === 0) {
      await log.discard(id);
      return error;
    }
    const code = isApexError(error) ? error.code : ErrorCode.INTERNAL;
    await log.finish(id, { status: IngestStatus.PARTIAL, records: this.#kept, errorCode: code });
    // Our own quota error says it already; an internal error's message is not shown to the user.
    if (!isApexError(error) || error === this.#stop || code === ErrorCode.INTERNAL) return error;
    return new ApexError(
      error.code,
      `${error.message} ${this.#kept} records of it were kept in dataset "${corpus}", now marked partial: upload the whole file again to complete it (records already kept are skipped).`,
      { cause: error, retryable: error.retryable, details: { ...error.details, corpus, records_kept: this.#kept } },
    );
  }
}
