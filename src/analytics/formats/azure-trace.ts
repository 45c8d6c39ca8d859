import type { FormatMapper } from "./format.ts";
import { rejectItem } from "./format.ts";
import { readNumber, readTimestamp } from "./source-values.ts";
import { stableId } from "./stable-id.ts";

// The Azure public LLM inference trace (Azure/AzurePublicDataset, AzureLLMInferenceTrace_*.csv):
// `TIMESTAMP, ContextTokens, GeneratedTokens`, one request a row. TIMESTAMP is "YYYY-MM-DD HH:MM:SS.fffffff" in UTC.
// The trace names no model and no feature: both come from the options, and the id is a hash of the row.

export const azureTrace: FormatMapper = {
  name: "azure-trace",
  unwritable:
    "the Azure trace keeps only a time and two token counts a call (no id, model or attribution); write " +
    "canonical or a provider format instead.",
  needsModel: true,
  matches: (item) => "TIMESTAMP" in item && "ContextTokens" in item && "GeneratedTokens" in item,
  map(row, options) {
    return [
      {
        id: stableId("azure-trace", row),
        timestamp: readTimestamp(row.TIMESTAMP, "TIMESTAMP") ?? rejectItem("no TIMESTAMP"),
        model: options.model ?? "",
        input_tokens: readNumber(row.ContextTokens, "ContextTokens") ?? rejectItem("no ContextTokens"),
        output_tokens: readNumber(row.GeneratedTokens, "GeneratedTokens") ?? rejectItem("no GeneratedTokens"),
      },
    ];
  },
};
