// Pricing imports nothing of ours (architecture.md), so a bad price file gets an error of its own;
// callers (the CLI, the corpus admin) map it to ApexError with the code they own.

/** A user price file that cannot be read or does not follow LiteLLM's model_prices_and_context_window.json format. */
export class PriceFileError extends Error {
  /** The file the problem was found in, when it came from a file. */
  readonly file: string | undefined;
  /** The model key of the entry at fault, when the problem is in one entry. */
  readonly modelKey: string | undefined;

  constructor(message: string, options: { file?: string; modelKey?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PriceFileError";
    this.file = options.file;
    this.modelKey = options.modelKey;
  }
}
