import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, ToolName } from "../protocol/names.ts";
import { SyntheticJobStatus } from "../protocol/rest.ts";
import { defineTool, type ToolCall } from "../runtime/tool.ts";
import type { ApexServices } from "./services.ts";
import { needsApproval, WorkloadProfileSchema, type SyntheticJobs } from "./synthetic-jobs.ts";
import { z } from "zod";

// The synthetic data job as a tool: recording the run's job (waiting for approval, or ready to run), and the jobs
// service as the agent reaches it.

export function syntheticJobsOf(services: ApexServices): SyntheticJobs {
  if (services.synthetic === undefined) {
    throw new ApexError(ErrorCode.INPUT_UNAVAILABLE, "Synthetic data jobs run on the Apex server; start `apex serve`, or use `apex generate` to write a file locally.");
  }
  return services.synthetic;
}

export const planSyntheticJobTool = defineTool({
  name: ToolName.PLAN_SYNTHETIC_JOB,
  description: "Records a synthetic data job of the calling user for this run: waiting for approval, or ready to run.",
  parameters: z.object({ profile: WorkloadProfileSchema }),
  execute: ({ profile }, call: ToolCall<ApexServices>) =>
    syntheticJobsOf(call.services).plan(
      call.context.userId,
      call.context.runId,
      profile,
      needsApproval(profile) ? SyntheticJobStatus.PENDING_APPROVAL : SyntheticJobStatus.RUNNING,
    ),
});
