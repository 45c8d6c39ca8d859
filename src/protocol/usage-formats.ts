// The ingest formats by name: the `?format=` values of POST /api/usage, so the web UI offers the same list the server
// accepts. The mappers themselves live in src/analytics/formats/.

/** The supported formats, in the order auto detection tries them (most specific shape first). */
export const FORMAT_NAMES = [
  "otel",
  "openai-usage",
  "anthropic-usage",
  "openai",
  "anthropic",
  "langfuse",
  "helicone",
  "litellm",
  "azure-trace",
  "mooncake",
  "canonical",
] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];
