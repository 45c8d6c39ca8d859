import { RunEventSchema, type RunEvent } from "../protocol/events.ts";
import { AgentName, EventType, PROTOCOL_VERSION } from "../protocol/names.ts";

// Valid envelopes for the bus tests, which carry events without running a pipeline.

export function sampleEvent(runId: string, seq: number): RunEvent {
  return RunEventSchema.parse({
    v: PROTOCOL_VERSION,
    type: EventType.PARTIAL_RESULT,
    event_id: "0190f5d2-7c1e-7a3b-8c4d-5e6f7a8b9c0d",
    run_id: runId,
    thread_id: "thread-1",
    seq,
    ts: new Date(1_700_000_000_000 + seq).toISOString(),
    agent_name: AgentName.REPORT,
    data: { agent_name: AgentName.REPORT, content: `part ${seq}` },
  });
}
