import { pino, type Logger } from "pino";

// The process's one logger (fastify logs through it too). Every line written inside a run — its start and end, an
// error a tool or the event log reports while it runs — carries the run's trace_id (and span_id), read from the
// tracing's async context when the line is written.

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export function createLogger(level: LogLevel, traceFields: () => object): Logger {
  return pino({ level, mixin: traceFields });
}
