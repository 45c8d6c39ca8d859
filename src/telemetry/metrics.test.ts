import { describe, expect, it } from "vitest";
import { RunEventSchema, type RunEvent } from "../protocol/events.ts";
import { AgentName, ErrorCode, EventType, PROTOCOL_VERSION, ToolName } from "../protocol/names.ts";
import { ApexMetrics } from "./metrics.ts";

let seq = 0;
function event(runId: string, type: string, atMs: number, agent: string | undefined, data: Record<string, unknown>): RunEvent {
  seq += 1;
  return RunEventSchema.parse({
    v: PROTOCOL_VERSION,
    type,
    event_id: "0190f5d2-7c1e-7a3b-8c4d-5e6f7a8b9c0d",
    run_id: runId,
    thread_id: "t",
    seq,
    ts: new Date(1_700_000_000_000 + atMs).toISOString(),
    ...(agent === undefined ? {} : { agent_name: agent }),
    data,
  });
}

async function value(metrics: ApexMetrics, name: string): Promise<number | undefined> {
  const line = (await metrics.render()).split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe("ApexMetrics", () => {
  it("times a failed agent from its agent_started, since agent_error carries no duration", async () => {
    const metrics = new ApexMetrics();
    const error = { code: ErrorCode.INTERNAL, message: "boom" };
    metrics.observeCommitted([
      event("r1", EventType.RUN_STARTED, 0, undefined, { pipeline: [AgentName.TRIAGE], request: "q" }),
      event("r1", EventType.AGENT_STARTED, 100, AgentName.TRIAGE, { agent_name: AgentName.TRIAGE, step: 1, total_steps: 1 }),
    ]);
    expect(await value(metrics, "apex_runs_in_flight")).toBe(1);
    metrics.observeCommitted([event("r1", EventType.AGENT_ERROR, 2600, AgentName.TRIAGE, { agent_name: AgentName.TRIAGE, error, recoverable: false })]);
    metrics.observeCommitted([event("r1", EventType.RUN_FAILED, 2700, undefined, { error })]);
    expect(await value(metrics, `apex_agent_duration_seconds_sum{agent="${AgentName.TRIAGE}",status="error"}`)).toBeCloseTo(2.5);
    expect(await value(metrics, `apex_runs_finished_total{outcome="${EventType.RUN_FAILED}"}`)).toBe(1);
    expect(await value(metrics, "apex_runs_in_flight")).toBe(0);
    expect(await value(metrics, "apex_event_log_batch_events_count")).toBe(3);
  });

  it("counts a run another node started and this one closed (the sweeper) as finished, never as in flight below zero", async () => {
    const metrics = new ApexMetrics();
    metrics.observeCommitted([event("r2", EventType.RUN_FAILED, 0, undefined, { error: { code: ErrorCode.INTERRUPTED, message: "node died" } })]);
    expect(await value(metrics, "apex_runs_in_flight")).toBe(0);
    expect(await value(metrics, `apex_runs_finished_total{outcome="${EventType.RUN_FAILED}"}`)).toBe(1);
  });

  it("keeps each instance's figures to itself (two apps in one process)", async () => {
    const a = new ApexMetrics();
    const b = new ApexMetrics();
    a.observeDelivery(event("r3", EventType.RUN_STARTED, 0, undefined, { pipeline: [], request: "q" }), 1_700_000_000_050);
    expect(await value(a, "apex_fanout_lag_seconds_count")).toBe(1);
    expect(await value(a, "apex_fanout_lag_seconds_sum")).toBeCloseTo(0.05);
    expect(await value(b, "apex_fanout_lag_seconds_count")).toBe(0);
  });

  it("times tool calls from their tool_completed events, by tool and ok", async () => {
    const metrics = new ApexMetrics();
    const call = { agent_name: AgentName.DATA, tool_name: ToolName.USAGE_TOTALS, tool_call_id: "call_1" };
    metrics.observeCommitted([
      event("r4", EventType.TOOL_COMPLETED, 0, AgentName.DATA, { ...call, ok: true, result: {}, duration_ms: 250 }),
      event("r4", EventType.TOOL_COMPLETED, 10, AgentName.DATA, { ...call, ok: false, error: { code: ErrorCode.TOOL_FAILED, message: "no" }, duration_ms: 40 }),
    ]);
    expect(await value(metrics, `apex_tool_duration_seconds_sum{tool="${ToolName.USAGE_TOTALS}",ok="true"}`)).toBeCloseTo(0.25);
    expect(await value(metrics, `apex_tool_duration_seconds_count{tool="${ToolName.USAGE_TOTALS}",ok="false"}`)).toBe(1);
  });

  it("adds up Apex's own LLM tokens and cost, leaving the cost of an unpriced call out", async () => {
    const metrics = new ApexMetrics();
    metrics.observeLlmCall({ provider: "openai", model: "gpt-4o", usage: { input_tokens: 1000, output_tokens: 50 }, cost_usd: 0.003 });
    metrics.observeLlmCall({ provider: "openai", model: "gpt-4o", usage: { input_tokens: 500, output_tokens: 10 }, cost_usd: null });
    const labels = 'provider="openai",model="gpt-4o"';
    expect(await value(metrics, `apex_llm_calls_total{${labels}}`)).toBe(2);
    expect(await value(metrics, `apex_llm_tokens_total{${labels},token_type="input"}`)).toBe(1500);
    expect(await value(metrics, `apex_llm_tokens_total{${labels},token_type="output"}`)).toBe(60);
    expect(await value(metrics, `apex_llm_cost_usd_total{${labels}}`)).toBeCloseTo(0.003);
  });

  it("counts ingested records by format and result", async () => {
    const metrics = new ApexMetrics();
    metrics.observeIngest({ format: "canonical", ingested: 90, duplicates: 8, rejected: 2 });
    metrics.observeIngest({ format: "canonical", ingested: 10, duplicates: 0, rejected: 0 });
    expect(await value(metrics, 'apex_usage_records_total{format="canonical",result="ingested"}')).toBe(100);
    expect(await value(metrics, 'apex_usage_records_total{format="canonical",result="duplicate"}')).toBe(8);
    expect(await value(metrics, 'apex_usage_records_total{format="canonical",result="rejected"}')).toBe(2);
  });
});
