import { z } from "zod";
import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import { PROVIDER_NAMES } from "./provider.ts";

// Which LLM Apex talks to, from the environment (or a config file parsed into the same shape). Offline is the default:
// Apex works without any model, and choosing one is explicit.

/** The variable each field is read from (the configuration reference lists them). */
export const LLM_FIELD_ENV = {
  provider: EnvVar.LLM_PROVIDER,
  baseURL: EnvVar.LLM_BASE_URL,
  apiKey: EnvVar.LLM_API_KEY,
  model: EnvVar.LLM_MODEL,
} as const;

export const LlmConfigSchema = z
  .object({
    provider: z.enum(PROVIDER_NAMES).default("offline"),
    baseURL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    apiKey: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.provider === "offline") return;
    if (config.model === undefined) {
      ctx.addIssue({ code: "custom", path: ["model"], message: `is required with provider ${config.provider}` });
    }
    if (config.provider === "anthropic" && config.apiKey === undefined) {
      ctx.addIssue({ code: "custom", path: ["apiKey"], message: "is required with provider anthropic" });
    }
    if (config.provider === "openai" && config.baseURL === undefined && config.apiKey === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["apiKey"],
        message: `is required for api.openai.com (only a local server set with ${LLM_FIELD_ENV.baseURL} may go without)`,
      });
    }
  });

export type LlmConfig = z.infer<typeof LlmConfigSchema>;

/** The LLM configuration from `APEX_LLM_*`; empty variables count as unset. Throws `invalid_config` naming each bad one. */
export function llmConfigFromEnv(env: Readonly<Record<string, string | undefined>>): LlmConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  };
  return parseLlmConfig({
    provider: read(LLM_FIELD_ENV.provider)?.toLowerCase(),
    baseURL: read(LLM_FIELD_ENV.baseURL),
    apiKey: read(LLM_FIELD_ENV.apiKey),
    model: read(LLM_FIELD_ENV.model),
  });
}

/** Validates a configuration object; messages name the env var of each field and never echo the API key. */
export function parseLlmConfig(input: unknown): LlmConfig {
  const parsed = LlmConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? "");
    const env = LLM_FIELD_ENV[field as keyof typeof LLM_FIELD_ENV];
    const shown = field === "provider" ? ` (got ${JSON.stringify((input as { provider?: unknown }).provider)})` : "";
    const message = issue.code === "invalid_value" ? `must be one of ${PROVIDER_NAMES.join(", ")}` : issue.message;
    return env ? `${env} ${message}${shown}` : issue.message;
  });
  throw new ApexError(ErrorCode.INVALID_CONFIG, `The LLM configuration is invalid: ${problems.join("; ")}.`, {
    details: { fields: parsed.error.issues.map((issue) => issue.path.join(".")) },
  });
}
