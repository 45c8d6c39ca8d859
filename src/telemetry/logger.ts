import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from "pino";

// The process's one logger (fastify logs through it too). Every line written inside a run — its start and end, an
// error a tool or the event log reports while it runs — carries the run's trace_id (and span_id), read from the
// tracing's async context when the line is written.
//
// Logged errors never carry the values a failed query was bound to (a password hash, an email, a user's text): the
// query builder puts them in its error's `params` and at the end of its message, and PostgreSQL's `detail` can quote
// the whole failing row. The error serializer drops them along the whole cause chain; the SQL text (placeholders only)
// and the error codes stay.

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** Fields of an error that hold bound values or row contents. */
const VALUE_FIELDS = new Set(["params", "parameters", "values", "detail"]);
/** drizzle's "Failed query: <sql>\nparams: <values>": from the params line to the end (of the message, or of the
 * first line of a stack: frames start with "    at "). */
const BOUND_VALUES = /\nparams: [\s\S]*?(?=\n {4}at |$)/;
/** Fields a driver hangs on its errors that are its own connection state (pg's `client`: parameters, queues). */
const DRIVER_FIELDS = new Set(["client", "connection"]);
const REDACTED = "[redacted]";
const MAX_CAUSES = 10;

function scrubMessage(text: string): string {
  return text.replace(BOUND_VALUES, "\nparams: [redacted]");
}

/** A copy of `error` (and its causes) without bound values, of the same class so the log's `type` stays right. */
function withoutBoundValues(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > MAX_CAUSES) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error & Record<string, unknown>;
  for (const [key, value] of Object.entries(error)) {
    if (!DRIVER_FIELDS.has(key)) copy[key] = VALUE_FIELDS.has(key) ? REDACTED : value;
  }
  const message = scrubMessage(error.message);
  Object.defineProperty(copy, "message", { value: message, writable: true, configurable: true });
  Object.defineProperty(copy, "name", { value: error.name, writable: true, configurable: true });
  const stack = error.stack === undefined ? undefined : scrubMessage(error.stack);
  Object.defineProperty(copy, "stack", { value: stack, writable: true, configurable: true });
  if (error.cause !== undefined) Object.defineProperty(copy, "cause", { value: withoutBoundValues(error.cause, depth + 1), writable: true, configurable: true });
  if (error instanceof AggregateError) copy.errors = error.errors.map((inner: unknown) => withoutBoundValues(inner, depth + 1));
  return copy;
}

/** A log call's arguments scrubbed: pino takes the line's `msg` from an error's message before any serializer runs. */
function scrubbedArguments(args: unknown[]): unknown[] {
  return args.map((arg, index) => {
    if (arg instanceof Error) return withoutBoundValues(arg);
    if (typeof arg === "string") return scrubMessage(arg);
    if (index === 0 && typeof arg === "object" && arg !== null && "err" in arg && arg.err instanceof Error) return { ...arg, err: withoutBoundValues(arg.err) };
    return arg;
  });
}

/** `destination` is stdout unless given (a test captures the lines). */
export function createLogger(level: LogLevel, traceFields: () => object, destination?: DestinationStream): Logger {
  const err = (error: unknown) => stdSerializers.err(withoutBoundValues(error) as Error);
  const options: LoggerOptions = {
    level,
    mixin: traceFields,
    serializers: { err, error: err },
    hooks: {
      logMethod(args, method) {
        method.apply(this, scrubbedArguments(args) as Parameters<typeof method>);
      },
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
