import { z } from "zod";
import { ClientCommand, ControlFrame, ErrorCode, PROTOCOL_VERSION } from "./names.ts";

// Client → server commands and the control frames the server answers with (protocol.md).

export const MAX_MESSAGE_CHARS = 20_000;

const clientId = z.string().min(1).max(128).optional();
/** PostgreSQL text cannot hold a NUL and no id or message needs one: refused here, before any lookup or insert. */
const withoutNul = (text: string) => !text.includes("\u0000");
const NUL_REFUSED = "must not contain NUL characters";
const id = z.string().min(1).max(128).refine(withoutNul, NUL_REFUSED);

export const ClientCommandSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal(ClientCommand.USER_MESSAGE),
    id: clientId,
    thread_id: id.optional(),
    text: z.string().trim().min(1).max(MAX_MESSAGE_CHARS).refine(withoutNul, NUL_REFUSED),
  }),
  z.object({
    type: z.literal(ClientCommand.SUBSCRIBE),
    id: clientId,
    run_id: id,
    after_seq: z.number().int().nonnegative().default(0),
  }),
  z.object({ type: z.literal(ClientCommand.UNSUBSCRIBE), id: clientId, run_id: id }),
  z.object({ type: z.literal(ClientCommand.CANCEL_RUN), id: clientId, run_id: id }),
  z.object({
    type: z.literal(ClientCommand.RESPOND),
    id: clientId,
    interrupt_id: id,
    decision: z.string().min(1).max(64),
    payload: z
      .record(z.string(), z.unknown())
      .refine((payload) => !JSON.stringify(payload).includes("\\u0000"), NUL_REFUSED)
      .optional(),
  }),
  z.object({ type: z.literal(ClientCommand.PING), id: clientId }),
]);
export type ClientCommandFrame = z.infer<typeof ClientCommandSchema>;

/**
 * A run's place in its node's admission queue: 1 = next to start; 0 = not waiting (the run started at once). The ack of
 * `user_message` carries it as `queue_position`, and `run_queued` each time it changes.
 */
export const QueuePositionSchema = z.number().int().nonnegative();

export const ControlFrameSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal(ControlFrame.WELCOME),
    protocol: z.literal(PROTOCOL_VERSION),
    connection_id: id,
    heartbeat_ms: z.number().int().positive(),
    server_time: z.iso.datetime(),
  }),
  z.looseObject({ type: z.literal(ControlFrame.ACK), id: clientId }),
  z.object({
    type: z.literal(ControlFrame.ERROR),
    id: clientId,
    code: z.enum(ErrorCode),
    message: z.string().min(1),
  }),
  z.object({ type: z.literal(ControlFrame.PONG), id: clientId }),
  z.object({ type: z.literal(ControlFrame.REPLAY_COMPLETE), run_id: id, through_seq: z.number().int().nonnegative() }),
  z.object({ type: z.literal(ControlFrame.RESYNC_REQUIRED), run_id: id }),
  // Not a run event (no seq, not logged): run_started stays seq 1 of every run's log.
  z.object({ type: z.literal(ControlFrame.RUN_QUEUED), run_id: id, position: QueuePositionSchema.refine((p) => p > 0, "a queued run is at place 1 or later") }),
]);
export type ControlFrameMessage = z.infer<typeof ControlFrameSchema>;
