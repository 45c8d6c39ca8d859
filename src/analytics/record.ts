import { z } from "zod";

// Canonical usage record v1 (analytics.md): one LLM call, or a pre-aggregated bucket when num_requests > 1.
// Token convention (OpenTelemetry's): input_tokens includes cached tokens, output_tokens includes reasoning tokens.

const tokenCount = z.number().int().nonnegative();
const attribution = z.string().min(1).max(512);

const ServiceTierSchema = z.enum(["standard", "batch", "flex", "priority"]);
const RecordStatusSchema = z.enum(["success", "error", "cache_hit"]);

export const UsageRecordSchema = z
  .object({
    id: z.string().min(1).max(512),
    timestamp: z.iso.datetime({ offset: true }),
    model: z.string().min(1).max(256),
    provider: z.string().min(1).max(64).optional(),
    input_tokens: tokenCount,
    output_tokens: tokenCount,
    cache_read_tokens: tokenCount.optional(),
    cache_write_tokens: tokenCount.optional(),
    reasoning_tokens: tokenCount.optional(),
    cost_usd: z.number().nonnegative().optional(),
    duration_ms: z.number().nonnegative().optional(),
    ttft_ms: z.number().nonnegative().optional(),
    status: RecordStatusSchema.default("success"),
    error_type: z.string().max(256).optional(),
    finish_reason: z.string().max(64).optional(),
    max_tokens: z.number().int().nonnegative().optional(),
    temperature: z.number().nonnegative().optional(),
    stream: z.boolean().optional(),
    service_tier: ServiceTierSchema.optional(),
    operation: z.string().max(64).optional(),
    user_id: attribution.optional(),
    session_id: attribution.optional(),
    trace_id: attribution.optional(),
    feature: attribution.optional(),
    environment: attribution.optional(),
    project: attribution.optional(),
    api_key_id: attribution.optional(),
    tags: z.array(z.string().max(256)).optional(),
    request_hash: z.string().max(256).optional(),
    prefix_hash: z.string().max(256).optional(),
    prefix_tokens: tokenCount.optional(),
    num_requests: z.number().int().positive().default(1),
  })
  .superRefine((r, ctx) => {
    const cached = (r.cache_read_tokens ?? 0) + (r.cache_write_tokens ?? 0);
    if (cached > r.input_tokens) {
      ctx.addIssue({
        code: "custom",
        path: ["cache_read_tokens"],
        message: `cache_read_tokens + cache_write_tokens (${cached}) exceeds input_tokens (${r.input_tokens}); input_tokens must include cached tokens`,
      });
    }
    if ((r.reasoning_tokens ?? 0) > r.output_tokens) {
      ctx.addIssue({
        code: "custom",
        path: ["reasoning_tokens"],
        message: `reasoning_tokens (${r.reasoning_tokens}) exceeds output_tokens (${r.output_tokens}); output_tokens must include reasoning tokens`,
      });
    }
    if (r.prefix_tokens !== undefined && r.prefix_tokens > r.input_tokens) {
      ctx.addIssue({
        code: "custom",
        path: ["prefix_tokens"],
        message: `prefix_tokens (${r.prefix_tokens}) exceeds input_tokens (${r.input_tokens})`,
      });
    }
  });

/** A validated canonical record (defaults applied). */
export type UsageRecord = z.infer<typeof UsageRecordSchema>;
/** What a format mapper produces before validation (defaults may be missing). */
export type UsageRecordInput = z.input<typeof UsageRecordSchema>;

/** A record with the cost Apex recomputed from the price table (null when the model has no price). */
export type PricedUsageRecord = UsageRecord & {
  /** Cost recomputed from the price table; null when the model is unpriced (never silently zero). */
  computed_cost_usd: number | null;
  /** True when the source reported a cost that differs from the recomputed one by more than 1%. */
  cost_mismatch: boolean;
};
