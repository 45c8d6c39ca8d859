import { Writable } from "node:stream";
import { SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ErrorCode, ToolName } from "../protocol/names.ts";
import { spanExportFromEnv } from "./exporters.ts";
import { createLogger } from "./logger.ts";
import { ApexTracing } from "./tracing.ts";

const RUN = { runId: "run-1", threadId: "thread-1" };
const REPLY = { model: "gpt-4o-2024-08-06", usage: { input_tokens: 120, output_tokens: 7 }, cost_usd: 0.0004, finish_reason: "stop" };

async function traced(): Promise<{ tracing: ApexTracing; exporter: InMemorySpanExporter }> {
  const exporter = new InMemorySpanExporter();
  return { tracing: await ApexTracing.open({ spanProcessors: [new SimpleSpanProcessor(exporter)] }), exporter };
}

/** Log lines as parsed JSON objects. */
function lines(): { stream: Writable; written: Record<string, unknown>[] } {
  const written: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
      done();
    },
  });
  return { stream, written };
}

describe("ApexTracing", () => {
  it("nests the chat span under the agent and the agent under the run, across awaits", async () => {
    const { tracing, exporter } = await traced();
    let traceId = "";
    await tracing.run(RUN, async (id) => {
      traceId = id;
      return tracing.agent("Triage", async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        await tracing.chat({ provider: "openai", model: "gpt-4o", temperature: 0 }, async () => REPLY);
        return { status: "completed" };
      });
    });
    const spans = exporter.getFinishedSpans();
    const byName = new Map(spans.map((s) => [s.name, s]));
    const run = byName.get("invoke_workflow apex");
    const agent = byName.get("invoke_agent Triage");
    const chat = byName.get("chat gpt-4o");
    expect(run?.parentSpanContext).toBeUndefined();
    expect(agent?.parentSpanContext?.spanId).toBe(run?.spanContext().spanId);
    expect(chat?.parentSpanContext?.spanId).toBe(agent?.spanContext().spanId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
    expect(chat?.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.request.temperature": 0,
      "gen_ai.response.model": REPLY.model,
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 7,
      "gen_ai.response.finish_reasons": ["stop"],
    });
    expect(run?.attributes["apex.run.outcome"]).toBe("completed");
    await tracing.shutdown();
  });

  it("gives every run a trace of its own", async () => {
    const { tracing } = await traced();
    const ids: string[] = [];
    await tracing.run(RUN, async (id) => {
      ids.push(id);
      await tracing.run({ runId: "run-2", threadId: "thread-1" }, async (inner) => {
        ids.push(inner);
        return { status: "completed" };
      });
      return { status: "completed" };
    });
    expect(ids[0]).not.toBe(ids[1]);
    await tracing.shutdown();
  });

  it("marks a failed agent and a thrown tool call as errors, with the error's code as error.type", async () => {
    const { tracing, exporter } = await traced();
    const failure = Object.assign(new Error("The tool broke."), { code: ErrorCode.TOOL_FAILED });
    await tracing.run(RUN, () =>
      tracing.agent("Data", async () => {
        await expect(tracing.tool({ toolName: ToolName.USAGE_TOTALS, toolCallId: "call_1", agentName: "Data" }, () => Promise.reject(failure))).rejects.toBe(failure);
        return { status: "failed", error: { code: ErrorCode.AGENT_FAILED, message: "The agent gave up." } };
      }),
    );
    const byName = new Map(exporter.getFinishedSpans().map((s) => [s.name, s]));
    const tool = byName.get(`execute_tool ${ToolName.USAGE_TOTALS}`);
    expect(tool?.status).toEqual({ code: SpanStatusCode.ERROR, message: "The tool broke." });
    expect(tool?.attributes).toMatchObject({ "error.type": ErrorCode.TOOL_FAILED, "gen_ai.tool.call.id": "call_1", "gen_ai.tool.name": ToolName.USAGE_TOTALS });
    expect(byName.get("invoke_agent Data")?.attributes["error.type"]).toBe(ErrorCode.AGENT_FAILED);
    expect(byName.get("invoke_agent Data")?.status.code).toBe(SpanStatusCode.ERROR);
    await tracing.shutdown();
  });

  it("writes the run's start and end, and every line inside the run, with its trace id", async () => {
    const { tracing } = await traced();
    const { stream, written } = lines();
    const logger = pino({ mixin: () => tracing.logFields() }, stream);
    tracing.logRunsTo(logger);
    let traceId = "";
    await tracing.run(RUN, async (id) => {
      traceId = id;
      logger.warn("inside the run");
      return { status: "cancelled" };
    });
    logger.info("outside any run");
    expect(written.map((l) => [l.msg, l.trace_id])).toEqual([
      ["run started", traceId],
      ["inside the run", traceId],
      ["run ended", traceId],
      ["outside any run", undefined],
    ]);
    expect(written[2]).toMatchObject({ run_id: RUN.runId, outcome: "cancelled" });
    expect(typeof written[2]?.duration_ms).toBe("number");
    expect(JSON.stringify(written)).not.toContain("@");
    await tracing.shutdown();
  });

  it("builds a logger at the configured level with the trace fields mixed in", () => {
    const logger = createLogger("warn", () => ({ trace_id: "0".repeat(32) }));
    expect(logger.level).toBe("warn");
    expect(logger.isLevelEnabled("info")).toBe(false);
  });
});

describe("span export from the OTEL_* variables", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("exports nothing when none is set", async () => {
    for (const name of ["OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED"]) vi.stubEnv(name, undefined);
    expect(await spanExportFromEnv()).toEqual({ processors: [] });
  });

  it("stays off for OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED=true", async () => {
    vi.stubEnv("OTEL_TRACES_EXPORTER", "none");
    vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
    expect((await spanExportFromEnv()).processors).toHaveLength(0);
    vi.stubEnv("OTEL_TRACES_EXPORTER", "console");
    vi.stubEnv("OTEL_SDK_DISABLED", "true");
    expect((await spanExportFromEnv()).processors).toHaveLength(0);
  });

  it("builds the exporters asked for, with service.name apex unless OTEL_SERVICE_NAME says otherwise", async () => {
    vi.stubEnv("OTEL_SDK_DISABLED", undefined);
    vi.stubEnv("OTEL_TRACES_EXPORTER", undefined);
    vi.stubEnv("OTEL_SERVICE_NAME", undefined);
    vi.stubEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/v1/traces");
    const otlp = await spanExportFromEnv();
    expect(otlp.processors).toHaveLength(1);
    expect(otlp.resource?.attributes["service.name"]).toBe("apex");
    await Promise.all(otlp.processors.map((p) => p.shutdown()));

    vi.stubEnv("OTEL_TRACES_EXPORTER", "console");
    vi.stubEnv("OTEL_SERVICE_NAME", "apex-eu");
    const printed = await spanExportFromEnv();
    expect(printed.processors).toHaveLength(1);
    expect(printed.resource?.attributes["service.name"]).toBe("apex-eu");
    await Promise.all(printed.processors.map((p) => p.shutdown()));
  });
});
