import { z } from "zod";
import { CancelledBy, ErrorCode, EventType, PROTOCOL_VERSION, type EventTypeName } from "./names.ts";
import { ReportSchema } from "./report.ts";

// Run events: the envelope and one data schema per event type (protocol.md, "Run events").

export const WireErrorSchema = z.object({
  code: z.enum(ErrorCode),
  message: z.string().min(1),
});
export type WireError = z.infer<typeof WireErrorSchema>;

const id = z.string().min(1);
const count = z.number().int().nonnegative();

export const RunEventDataSchemas = {
  [EventType.RUN_STARTED]: z.object({ pipeline: z.array(id), request: z.string() }),
  [EventType.AGENT_STARTED]: z.object({ agent_name: id, step: z.number().int().positive(), total_steps: count }),
  [EventType.AGENT_THINKING]: z.object({
    agent_name: id,
    thought: z.string().min(1),
    step_number: z.number().int().positive(),
    total_steps: count,
  }),
  [EventType.TOOL_EXECUTING]: z.object({
    agent_name: id,
    tool_name: id,
    tool_call_id: id,
    parameters: z.record(z.string(), z.unknown()),
  }),
  [EventType.TOOL_COMPLETED]: z.object({
    agent_name: id,
    tool_name: id,
    tool_call_id: id,
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: WireErrorSchema.optional(),
    duration_ms: z.number().nonnegative(),
    cached: z.boolean().optional(),
  }),
  [EventType.AGENT_COMPLETED]: z.object({
    agent_name: id,
    status: z.literal("completed"),
    duration_ms: z.number().nonnegative(),
    summary: z.string(),
  }),
  [EventType.AGENT_ERROR]: z.object({ agent_name: id, error: WireErrorSchema, recoverable: z.boolean() }),
  [EventType.PARTIAL_RESULT]: z.object({ agent_name: id, content: z.string() }),
  [EventType.FINAL_REPORT]: z.object({ report: ReportSchema }),
  [EventType.AWAITING_INPUT]: z.object({
    interrupt_id: id,
    kind: id,
    prompt: z.string().min(1),
    options: z.array(z.string()),
    expires_at: z.iso.datetime(),
  }),
  [EventType.RUN_COMPLETED]: z.object({ duration_ms: z.number().nonnegative(), agents_run: z.array(id) }),
  [EventType.RUN_FAILED]: z.object({ error: WireErrorSchema }),
  [EventType.RUN_CANCELLED]: z.object({ by: z.enum(CancelledBy), at_agent: z.string().nullable() }),
} as const satisfies Record<EventTypeName, z.ZodType>;

export type RunEventData<T extends EventTypeName> = z.infer<(typeof RunEventDataSchemas)[T]>;

const envelopeFields = {
  v: z.literal(PROTOCOL_VERSION),
  event_id: z.uuid(),
  run_id: id,
  thread_id: id,
  seq: z.number().int().positive(),
  ts: z.iso.datetime(),
  agent_name: id.optional(),
  /** The run's OpenTelemetry trace id (W3C, 32 lowercase hex); absent in logs written before telemetry. */
  trace_id: z.string().regex(/^[0-9a-f]{32}$/).optional(),
};

function eventSchema<T extends EventTypeName>(type: T) {
  return z.object({ ...envelopeFields, type: z.literal(type), data: RunEventDataSchemas[type] });
}

export const RunEventSchema = z.discriminatedUnion("type", [
  eventSchema(EventType.RUN_STARTED),
  eventSchema(EventType.AGENT_STARTED),
  eventSchema(EventType.AGENT_THINKING),
  eventSchema(EventType.TOOL_EXECUTING),
  eventSchema(EventType.TOOL_COMPLETED),
  eventSchema(EventType.AGENT_COMPLETED),
  eventSchema(EventType.AGENT_ERROR),
  eventSchema(EventType.PARTIAL_RESULT),
  eventSchema(EventType.FINAL_REPORT),
  eventSchema(EventType.AWAITING_INPUT),
  eventSchema(EventType.RUN_COMPLETED),
  eventSchema(EventType.RUN_FAILED),
  eventSchema(EventType.RUN_CANCELLED),
]);

export type RunEvent = z.infer<typeof RunEventSchema>;
export type RunEventOf<T extends EventTypeName> = Extract<RunEvent, { type: T }>;
