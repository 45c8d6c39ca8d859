import { z } from "zod";
import type { Scope, UsageTotals } from "../analytics/store.ts";
import type { ToolNameValue } from "../protocol/names.ts";
import type { Opportunity } from "../protocol/report.ts";
import { defineTool, type ToolCall } from "../runtime/tool.ts";
import { type AnalysisResult, analysisResult } from "./opportunity.ts";
import type { ApexServices } from "./services.ts";
import { ScopeParamsSchema, type ScopeParams, scopeFor } from "./scope.ts";

// How an analysis tool is made: every analysis starts from the caller's scope (owner from the context), the totals of
// that slice and the factor that turns observed savings into monthly ones (analytics.md: observed x 30 / period days).

const DAYS_PER_MONTH = 30;
/** A log shorter than an hour is scaled as one hour: a few minutes of traffic are no basis for a month. */
const MIN_PERIOD_DAYS = 1 / 24;

/** The parameters of an analysis: its scope (every dataset of the caller by default) plus its own thresholds. */
function analysisParams<T extends z.ZodRawShape>(thresholds: T) {
  return z.object({ scope: ScopeParamsSchema.default({}), ...thresholds });
}

export interface AnalysisFrame {
  scope: Scope;
  totals: UsageTotals;
  /** Multiply an observed amount by this to get its monthly amount. */
  perMonth: number;
  /** The assumption behind perMonth, in words, for the opportunities' assumptions. */
  periodNote: string;
}

/** The frame of one analysis call; undefined when the slice holds no usage (every kind is then absent). */
async function analysisFrame(
  params: { scope: ScopeParams },
  call: ToolCall<ApexServices>,
): Promise<AnalysisFrame | undefined> {
  const scope = scopeFor(call.context, params.scope);
  const totals = await call.services.usage.totals(scope);
  if (totals.records === 0) return undefined;
  const days = Math.max(totals.period.days, MIN_PERIOD_DAYS);
  return {
    scope,
    totals,
    perMonth: DAYS_PER_MONTH / days,
    periodNote:
      `Monthly figures scale the ${round(totals.period.days, 2)} observed days (${totals.period.from} to ` +
      `${totals.period.to}) to ${DAYS_PER_MONTH} days, assuming the traffic stays as it was.`,
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Whole-dollar-cent rounding of a USD amount for titles and details. */
export function usd(value: number): string {
  return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/**
 * An analysis tool from its thresholds and its search: parameters `{scope, ...thresholds}`, the frame, the empty case
 * (no usage in scope: no opportunity) and the validation of what it returns are done here once.
 */
export function defineAnalysis<T extends z.ZodRawShape>(spec: {
  name: ToolNameValue;
  description: string;
  thresholds: T;
  find(params: z.output<z.ZodObject<T>>, frame: AnalysisFrame, services: ApexServices): Promise<Opportunity[]>;
}) {
  const parameters = analysisParams(spec.thresholds);
  return defineTool({
    name: spec.name,
    description: spec.description,
    parameters,
    async execute(params, call: ToolCall<ApexServices>): Promise<AnalysisResult> {
      // Generic shapes hide that every analysis has a scope; analysisParams puts it there.
      const frame = await analysisFrame(params as { scope: ScopeParams }, call);
      if (frame === undefined) return analysisResult([]);
      return analysisResult(await spec.find(params as z.output<z.ZodObject<T>>, frame, call.services));
    },
  });
}
