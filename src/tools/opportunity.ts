import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { type Opportunity, OpportunitySchema } from "../protocol/report.ts";

// Every analysis returns its findings through here, so nothing leaves a tool that breaks the report schema, and the
// findings come sorted by monthly savings as the report lists them.

export interface AnalysisResult {
  opportunities: Opportunity[];
}

/** Scope entries of an opportunity: the attributes that are known (a null feature is left out, not invented). */
export function scopeOf(entries: Record<string, string | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries)) if (value !== null && value !== undefined) out[key] = value;
  return out;
}

/** Validates each opportunity against the report schema and sorts them, largest monthly savings first. */
export function analysisResult(found: readonly Opportunity[]): AnalysisResult {
  const opportunities = found.map((candidate) => {
    const parsed = OpportunitySchema.safeParse(candidate);
    if (!parsed.success) {
      throw new ApexError(
        ErrorCode.INTERNAL,
        `The ${candidate.kind} analysis built an opportunity that breaks the report schema: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  });
  return { opportunities: opportunities.sort((a, b) => b.est_monthly_savings_usd - a.est_monthly_savings_usd) };
}
