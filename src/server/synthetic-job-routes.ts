import { randomInt, randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { classifyIntent } from "../agents/intent-rules.ts";
import { Intent } from "../agents/intent.ts";
import { describeProfile, profileForRun } from "../agents/synthetic-request.ts";
import { MAX_MESSAGE_CHARS } from "../protocol/commands.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, OpportunityKind, RoutePath } from "../protocol/names.ts";
import { SyntheticJobStatus, type SyntheticJob, type SyntheticProfile } from "../protocol/rest.ts";
import { MAX_SYNTHETIC_DAYS, MAX_SYNTHETIC_RECORDS, needsApproval, SCENARIOS, type WorkloadProfile } from "../tools/synthetic-jobs.ts";
import type { SchemaProperties } from "./api-routes.ts";
import { Authenticator, type AuthUser } from "./auth.ts";
import type { RunLauncher } from "./run-launcher.ts";
import { jobView, type SyntheticJobService } from "./synthetic-jobs.ts";

// Synthetic data jobs over REST. POST starts the same path as a chat message (a run in a thread, the Synthetic Data
// agent, its approval question over /ws or AG-UI): a typed request is sent as is, a profile as the sentence that reads
// back to it. The job row is opened before the run starts, so its id is in the answer; GET shows status and progress.

export interface SyntheticJobRoutesOptions {
  auth: Authenticator;
  launcher: Pick<RunLauncher, "launch">;
  jobs: SyntheticJobService;
}

interface ProfileInput {
  records: number;
  scenario?: WorkloadProfile["scenario"];
  waste?: WorkloadProfile["waste"];
  days?: number;
  corpus?: string;
  seed?: number;
  confirm?: boolean;
}

interface StartBody {
  request?: string;
  profile?: ProfileInput;
  thread_id?: string;
}

const MAX_JOBS_PAGE = 200;
const DEFAULT_JOBS_PAGE = 50;
const DEFAULT_DAYS = 30;
const MAX_SEED = 2 ** 31;
const ID = { type: "string", minLength: 1, maxLength: 128 } as const;
const CORPUS = { type: "string", minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" } as const;
const PROFILE_SCHEMA = {
  type: "object",
  required: ["records"],
  additionalProperties: false,
  properties: {
    records: { type: "integer", minimum: 1, maximum: MAX_SYNTHETIC_RECORDS },
    scenario: { type: "string", enum: [...SCENARIOS] },
    waste: { type: ["array", "null"], items: { type: "string", enum: Object.values(OpportunityKind) }, uniqueItems: true },
    days: { type: "integer", minimum: 1, maximum: MAX_SYNTHETIC_DAYS },
    corpus: CORPUS,
    seed: { type: "integer", minimum: 0, maximum: MAX_SEED },
    confirm: { type: "boolean" },
  } satisfies SchemaProperties<SyntheticProfile>,
} as const;

const nullableTime = { type: ["string", "null"], format: "date-time" } as const;

/** A job as GET answers it (SyntheticJob of src/protocol/rest.ts); `profile` is the full profile the job runs with. */
const jobSchema = {
  type: "object",
  required: ["job_id", "run_id", "status", "profile", "records_total", "records_done", "corpus", "error", "created_at", "finished_at"],
  properties: {
    job_id: { type: "string" },
    run_id: { type: ["string", "null"] },
    status: { type: "string", enum: Object.values(SyntheticJobStatus) },
    profile: { ...PROFILE_SCHEMA, required: ["records", "scenario", "waste", "days", "corpus", "seed", "confirm"] },
    records_total: { type: "integer" },
    records_done: { type: "integer" },
    corpus: { type: "string" },
    error: { type: ["object", "null"], required: ["code", "message"], properties: { code: { type: "string" }, message: { type: "string" } } },
    created_at: { type: "string", format: "date-time" },
    finished_at: nullableTime,
  } satisfies SchemaProperties<SyntheticJob>,
} as const;

function fullProfile(input: ProfileInput): WorkloadProfile {
  const scenario = input.scenario ?? "saas";
  return {
    records: input.records,
    scenario,
    // The clean scenario plants nothing, whatever was asked.
    waste: scenario === "clean" ? [] : (input.waste ?? null),
    days: input.days ?? DEFAULT_DAYS,
    corpus: input.corpus ?? `synthetic-${randomBytes(4).toString("hex")}`,
    seed: input.seed ?? randomInt(MAX_SEED),
    confirm: input.confirm ?? false,
  };
}

/** The text the run is started with: a typed request must read as one to generate data, or it would go elsewhere. */
function requestText(body: StartBody): string {
  if ((body.request === undefined) === (body.profile === undefined)) {
    throw new ApexError(ErrorCode.INVALID_REQUEST, 'Send either "request" (what to generate, in words) or "profile" (records, scenario, waste, days…), not both or neither.');
  }
  if (body.profile !== undefined) return describeProfile(fullProfile(body.profile));
  const text = body.request!.trim();
  if (classifyIntent(text, { models: 0, hasEntities: false }).intent !== Intent.GENERATE_DATA) {
    throw new ApexError(ErrorCode.INVALID_REQUEST, 'This does not read as a request to generate data; say what to make, e.g. "generate 20k records of a support-chat workload with caching waste".');
  }
  return text;
}

export async function syntheticJobRoutes(fastify: FastifyInstance, options: SyntheticJobRoutesOptions): Promise<void> {
  const caller = (request: FastifyRequest): Promise<AuthUser> => options.auth.authenticate(Authenticator.bearer(request.headers.authorization));
  const repository = options.jobs.repository;

  fastify.post<{ Body: StartBody }>(
    RoutePath.SYNTHETIC_JOBS,
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          properties: { request: { type: "string", minLength: 1, maxLength: MAX_MESSAGE_CHARS }, profile: PROFILE_SCHEMA, thread_id: ID },
        },
        response: {
          202: { type: "object", required: ["job_id", "run_id", "thread_id"], properties: { job_id: { type: "string" }, run_id: { type: "string" }, thread_id: { type: "string" } } },
        },
      },
    },
    async (request, reply) => {
      const user = await caller(request);
      const text = requestText(request.body);
      let jobId = "";
      const launched = await options.launcher.launch(user, text, request.body.thread_id, async ({ runId }) => {
        // The agent takes this row over when it plans the job (with the profile it reads, the LLM's if configured).
        const profile = profileForRun(text, runId);
        const status = needsApproval(profile) ? SyntheticJobStatus.PENDING_APPROVAL : SyntheticJobStatus.RUNNING;
        jobId = (await options.jobs.plan(user.id, runId, profile, status)).job_id;
      });
      return reply.code(202).send({ job_id: jobId, run_id: launched.runId, thread_id: launched.threadId });
    },
  );

  fastify.get<{ Querystring: { limit: number } }>(
    RoutePath.SYNTHETIC_JOBS,
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { limit: { type: "integer", minimum: 1, maximum: MAX_JOBS_PAGE, default: DEFAULT_JOBS_PAGE } },
        },
        response: { 200: { type: "object", required: ["jobs"], properties: { jobs: { type: "array", items: jobSchema } } } },
      },
    },
    async (request): Promise<{ jobs: SyntheticJob[] }> => {
      const user = await caller(request);
      return { jobs: (await repository.list(user.id, request.query.limit)).map(jobView) };
    },
  );

  fastify.get<{ Params: { job_id: string } }>(
    RoutePath.SYNTHETIC_JOB,
    {
      schema: {
        params: { type: "object", required: ["job_id"], properties: { job_id: ID } },
        response: { 200: { type: "object", required: ["job"], properties: { job: jobSchema } } },
      },
    },
    async (request): Promise<{ job: SyntheticJob }> => {
      const user = await caller(request);
      const job = await repository.get(user.id, request.params.job_id);
      if (job === null) throw new ApexError(ErrorCode.NOT_FOUND, `Synthetic data job ${request.params.job_id} was not found; list your jobs to pick one.`);
      return { job: jobView(job) };
    },
  );
}
