import type { SpanProcessor } from "@opentelemetry/sdk-trace-node";
import type { resources } from "@opentelemetry/sdk-node";

// Where spans go is decided by the standard OpenTelemetry variables alone, read here and nowhere else. None set, no
// exporter exists and nothing touches the network (spans still get ids for the events and logs); set, the SDK's own
// env-driven setup builds the exporters (OTLP over http/protobuf by default, to localhost:4318 unless told otherwise).

/** Without OTEL_TRACES_EXPORTER, an OTLP endpoint set turns export on (OTLP, the SDK's default exporter). */
const OTLP_ENDPOINTS = ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] as const;
const SERVICE_NAME = "apex";

export interface SpanExport {
  processors: SpanProcessor[];
  /** The service as exported spans name it (service.name `apex` unless OTEL_SERVICE_NAME/OTEL_RESOURCE_ATTRIBUTES say). */
  resource?: resources.Resource;
}

/** The exporters the environment asks for; the SDK is loaded only when one is (it pulls in every OTLP transport). */
export async function spanExportFromEnv(): Promise<SpanExport> {
  // process.env itself: the SDK's setup below reads it too, so both always agree.
  const env = process.env;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "").split(",").map((name) => name.trim()).filter((name) => name !== "");
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true";
  const asked = exporters.length > 0 ? exporters.some((name) => name !== "none") : OTLP_ENDPOINTS.some((name) => (env[name] ?? "").trim() !== "");
  if (disabled || !asked) return { processors: [] };
  const [{ resources: otelResources }, { getSpanProcessorsFromEnv }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/sdk-node/build/src/utils.js"),
  ]);
  const resource = otelResources
    .resourceFromAttributes({ "service.name": SERVICE_NAME })
    .merge(otelResources.detectResources({ detectors: [otelResources.envDetector] }));
  return { processors: getSpanProcessorsFromEnv(undefined), resource };
}
