import { anthropic } from "./anthropic.ts";
import { anthropicUsage } from "./anthropic-usage.ts";
import { azureTrace } from "./azure-trace.ts";
import { canonical } from "./canonical.ts";
import type { FormatMapper, FormatName } from "./format.ts";
import { FORMAT_NAMES } from "./format.ts";
import { helicone } from "./helicone.ts";
import { langfuse } from "./langfuse.ts";
import { litellm } from "./litellm.ts";
import { mooncake } from "./mooncake.ts";
import { openai } from "./openai.ts";
import { openaiUsage } from "./openai-usage.ts";
import { otel } from "./otel.ts";

// Every ingest format by name. Detection order is FORMAT_NAMES' order (most specific shape first).

const BY_NAME: Readonly<Record<FormatName, FormatMapper>> = Object.freeze({
  otel,
  "openai-usage": openaiUsage,
  "anthropic-usage": anthropicUsage,
  openai,
  anthropic,
  langfuse,
  helicone,
  litellm,
  "azure-trace": azureTrace,
  mooncake,
  canonical,
});

export function mapperFor(name: FormatName): FormatMapper {
  return BY_NAME[name];
}

/** The mappers in detection order. */
export const MAPPERS: readonly FormatMapper[] = Object.freeze(FORMAT_NAMES.map((name) => BY_NAME[name]));
