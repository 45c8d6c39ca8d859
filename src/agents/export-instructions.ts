import type { LogSource } from "./intent-rules.ts";

// How to get usage logs out of each tool Apex reads, and the ingest format to name. The Data Guide explains these.

export interface ExportInstruction {
  source: LogSource | "canonical";
  /** The tool, as users know it. */
  title: string;
  /** How to export, in steps. */
  steps: string[];
  /** The `--format` to ingest it with. */
  format: string;
}

export const EXPORT_INSTRUCTIONS: readonly ExportInstruction[] = [
  {
    source: "openai",
    title: "OpenAI",
    steps: [
      "With an admin key, fetch the Usage API: GET https://api.openai.com/v1/organization/usage/completions?start_time=<unix seconds>&bucket_width=1d&group_by=model (follow next_page until has_more is false) and save the pages as JSON.",
      "Or log each chat completion / Responses object your code receives (it carries `usage`) as one JSON object per line.",
    ],
    format: "openai-usage (Usage API pages) or openai (logged responses)",
  },
  {
    source: "anthropic",
    title: "Anthropic",
    steps: [
      "With an admin key, fetch the usage report: GET https://api.anthropic.com/v1/organizations/usage_report/messages?starting_at=<ISO date>&bucket_width=1d&group_by[]=model and save the JSON.",
      "Or log each Messages API response (it carries `usage`) as one JSON object per line.",
    ],
    format: "anthropic-usage (usage report) or anthropic (logged responses)",
  },
  {
    source: "litellm",
    title: "LiteLLM proxy",
    steps: ["Export the spend logs: GET <proxy>/spend/logs with a master key (JSON), or copy the LiteLLM_SpendLogs table to CSV."],
    format: "litellm",
  },
  {
    source: "langfuse",
    title: "Langfuse",
    steps: ["Export the observations of type GENERATION: from the Observations table (export as JSON/CSV) or GET /api/public/observations?type=GENERATION with your project keys."],
    format: "langfuse",
  },
  {
    source: "helicone",
    title: "Helicone",
    steps: ["Export your requests from the Requests page, or page through POST https://api.helicone.ai/v1/request/query with your API key."],
    format: "helicone",
  },
  {
    source: "opentelemetry",
    title: "OpenTelemetry",
    steps: ["Write your spans with `gen_ai.*` attributes as OTLP/JSON (for example with the collector's file exporter)."],
    format: "otel",
  },
  {
    source: "canonical",
    title: "Your own logs",
    steps: ["Write one JSON object per line with at least id, timestamp, model, input_tokens and output_tokens (add feature, user_id, status, finish_reason, request_hash… for deeper analyses)."],
    format: "canonical",
  },
];
