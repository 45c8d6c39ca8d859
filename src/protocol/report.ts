import { z } from "zod";
import { CatalogPinSchema } from "./catalog.ts";
import { OpportunityKind } from "./names.ts";

// The structured report of analytics.md: what `final_report.report` and `apex analyze --json` carry.

export const OpportunityKindSchema = z.enum(OpportunityKind);

export const EvidenceSchema = z.object({
  counts: z.record(z.string(), z.number()),
  query: z.string(),
  example_record_ids: z.array(z.string()).max(5),
});

export const ActionSchema = z.object({
  step: z.string().min(1),
  detail: z.string().optional(),
});

export const OpportunitySchema = z.object({
  kind: OpportunityKindSchema,
  title: z.string().min(1),
  scope: z.record(z.string(), z.string()),
  est_monthly_savings_usd: z.number().nonnegative(),
  confidence: z.number().min(0).max(1),
  evidence: EvidenceSchema,
  assumptions: z.array(z.string()),
  actions: z.array(ActionSchema),
});

export const BreakdownRowSchema = z.object({
  key: z.string(),
  cost_usd: z.number(),
  calls: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative(),
});

export const ActionPlanStepSchema = z.object({
  step: z.string().min(1),
  opportunity_kind: OpportunityKindSchema,
  effort: z.enum(["low", "medium", "high"]),
  expected_savings_usd: z.number().nonnegative(),
});

export const ReportSchema = z.object({
  period: z.object({ from: z.string(), to: z.string(), days: z.number().nonnegative() }),
  totals: z.object({
    cost_usd: z.number(),
    monthly_cost_usd: z.number(),
    calls: z.number().int().nonnegative(),
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
  }),
  breakdowns: z.object({
    by_model: z.array(BreakdownRowSchema),
    by_feature: z.array(BreakdownRowSchema),
    by_day: z.array(BreakdownRowSchema),
  }),
  opportunities: z.array(OpportunitySchema),
  total_est_monthly_savings_usd: z.number().nonnegative(),
  unpriced_models: z.array(z.string()),
  data_quality: z.object({
    records: z.number().int().nonnegative(),
    rejected: z.number().int().nonnegative(),
    warnings: z.array(z.string()),
  }),
  executive_summary: z.string(),
  action_plan: z.array(ActionPlanStepSchema),
  /** The supply catalog versions the analysis priced with (absent in reports from before catalogs, or offline). */
  catalog: CatalogPinSchema.optional(),
});

export type Opportunity = z.infer<typeof OpportunitySchema>;
export type BreakdownRow = z.infer<typeof BreakdownRowSchema>;
export type ActionPlanStep = z.infer<typeof ActionPlanStepSchema>;
export type Report = z.infer<typeof ReportSchema>;
