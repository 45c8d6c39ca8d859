import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, RoutePath } from "../protocol/names.ts";
import type { StoreDb } from "../store/database.ts";
import type { EventLog } from "../store/event-log.ts";
import { RunRepository } from "../store/runs.ts";
import { ThreadRepository } from "../store/threads.ts";
import { Authenticator, type AuthUser } from "./auth.ts";

// The REST routes of a signed-in user. Every handler starts from the caller's identity and reads only the caller's rows:
// another user's run answers 404, exactly like a run that does not exist.

export interface ApiRoutesOptions {
  auth: Authenticator;
  db: StoreDb;
  log: EventLog;
}

const MAX_EVENTS_PAGE = 10_000;

export async function apiRoutes(fastify: FastifyInstance, options: ApiRoutesOptions): Promise<void> {
  const runs = new RunRepository(options.db);
  const threads = new ThreadRepository(options.db);
  const caller = (request: FastifyRequest): Promise<AuthUser> => options.auth.authenticate(Authenticator.bearer(request.headers.authorization));

  fastify.get<{ Params: { run_id: string }; Querystring: { after_seq: number; limit: number } }>(
    RoutePath.RUN_EVENTS,
    {
      schema: {
        params: { type: "object", required: ["run_id"], properties: { run_id: { type: "string", minLength: 1, maxLength: 128 } } },
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            after_seq: { type: "integer", minimum: 0, default: 0 },
            limit: { type: "integer", minimum: 1, maximum: MAX_EVENTS_PAGE, default: MAX_EVENTS_PAGE },
          },
        },
      },
    },
    async (request) => {
      const user = await caller(request);
      const { run_id: runId } = request.params;
      const run = await runs.get(user.id, runId);
      if (run === null) throw new ApexError(ErrorCode.NOT_FOUND, `Run ${runId} was not found.`);
      const events = await options.log.read(runId, user.id, request.query.after_seq, request.query.limit);
      return { run_id: runId, status: run.status, events };
    },
  );

  fastify.get(RoutePath.THREADS, async (request) => {
    const user = await caller(request);
    const list = await threads.listByOwner(user.id);
    return {
      threads: list.map((t) => ({ id: t.id, title: t.title, created_at: t.createdAt, updated_at: t.updatedAt })),
    };
  });
}
