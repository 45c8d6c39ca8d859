import { ErrorCode, type ErrorCodeName } from "./names.ts";

export interface ApexErrorOptions {
  cause?: unknown;
  /** True when trying the same thing again may succeed (a timeout, a busy service). */
  retryable?: boolean;
  /** Extra machine-readable facts for the caller (never secrets). */
  details?: Record<string, unknown>;
}

/** The one error type of Apex: a code from the catalogue and a message that tells the user what to do. */
export class ApexError extends Error {
  readonly code: ErrorCodeName;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCodeName, message: string, options: ApexErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ApexError";
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  /** The `{code, message}` pair the wire protocol carries. */
  toWire(): { code: ErrorCodeName; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isApexError(value: unknown): value is ApexError {
  return value instanceof ApexError;
}

/** Any thrown value as an ApexError: ours pass through, anything else becomes `fallback` with the original as cause. */
export function toApexError(value: unknown, fallback: ErrorCodeName = ErrorCode.INTERNAL): ApexError {
  if (value instanceof ApexError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new ApexError(fallback, message || "Unexpected error", { cause: value });
}
