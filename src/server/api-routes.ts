import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, RoutePath } from "../protocol/names.ts";
import type { Message, RunRow, Thread } from "../protocol/rest.ts";
import type { StoreDb } from "../store/database.ts";
import type { EventLog } from "../store/event-log.ts";
import { MessageRepository, type Message as MessageRow } from "../store/messages.ts";
import { RunRepository, type Run } from "../store/runs.ts";
import { ThreadRepository, type Thread as ThreadRow } from "../store/threads.ts";
import { Authenticator, type AuthUser } from "./auth.ts";

// The REST routes of a signed-in user: threads, their messages and runs, and a run's logged events. Every handler starts
// from the caller's identity and reads only the caller's rows: another user's thread or run answers 404, exactly like
// one that does not exist. A thread with a run in flight is not deleted (409 thread_busy): the run's events need its row.

export interface ApiRoutesOptions {
  auth: Authenticator;
  db: StoreDb;
  log: EventLog;
}

const MAX_EVENTS_PAGE = 10_000;
const MAX_MESSAGES_PAGE = 500;
const DEFAULT_MESSAGES_PAGE = 50;
const DEFAULT_THREAD_TITLE = "New conversation";
/** A NUL in it (or in any field) is refused for every route by nul-refusal.ts. */
const ID = { type: "string", minLength: 1, maxLength: 128 } as const;
const TITLE = { type: "string", minLength: 1, maxLength: 200 } as const;
const THREAD_PARAMS = { type: "object", required: ["thread_id"], properties: { thread_id: ID } } as const;
const RUN_PARAMS = { type: "object", required: ["run_id"], properties: { run_id: ID } } as const;

type ThreadParams = { Params: { thread_id: string } };
type RunParams = { Params: { run_id: string } };

function threadView(t: ThreadRow): Thread {
  return { id: t.id, title: t.title, created_at: t.createdAt.toISOString(), updated_at: t.updatedAt.toISOString() };
}

function messageView(m: MessageRow): Message {
  return { id: m.id, role: m.role, content: m.content, run_id: m.runId, created_at: m.createdAt.toISOString() };
}

function runView(r: Run): RunRow {
  return {
    id: r.id,
    thread_id: r.threadId,
    status: r.status,
    request: r.request,
    created_at: r.createdAt.toISOString(),
    started_at: r.startedAt?.toISOString() ?? null,
    ended_at: r.endedAt?.toISOString() ?? null,
    error: r.error,
  };
}

const threadNotFound = (threadId: string) => new ApexError(ErrorCode.NOT_FOUND, `Thread ${threadId} was not found; list your threads to pick one.`);
const runNotFound = (runId: string) => new ApexError(ErrorCode.NOT_FOUND, `Run ${runId} was not found.`);

export async function apiRoutes(fastify: FastifyInstance, options: ApiRoutesOptions): Promise<void> {
  const runs = new RunRepository(options.db);
  const threads = new ThreadRepository(options.db);
  const messages = new MessageRepository(options.db);
  const caller = (request: FastifyRequest): Promise<AuthUser> => options.auth.authenticate(Authenticator.bearer(request.headers.authorization));

  fastify.get<RunParams & { Querystring: { after_seq: number; limit: number } }>(
    RoutePath.RUN_EVENTS,
    {
      schema: {
        params: RUN_PARAMS,
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
      if (run === null) throw runNotFound(runId);
      const events = await options.log.read(runId, user.id, request.query.after_seq, request.query.limit);
      return { run_id: runId, status: run.status, events };
    },
  );

  fastify.get<RunParams>(RoutePath.RUN, { schema: { params: RUN_PARAMS } }, async (request) => {
    const user = await caller(request);
    const run = await runs.get(user.id, request.params.run_id);
    if (run === null) throw runNotFound(request.params.run_id);
    return { run: runView(run) };
  });

  fastify.get(RoutePath.THREADS, async (request) => {
    const user = await caller(request);
    const list = await threads.listByOwner(user.id);
    return { threads: list.map(threadView) };
  });

  fastify.post<{ Body: { title?: string } | undefined }>(
    RoutePath.THREADS,
    { schema: { body: { type: ["object", "null"], additionalProperties: false, properties: { title: TITLE } } } },
    async (request, reply) => {
      const user = await caller(request);
      const created = await threads.create(user.id, request.body?.title ?? DEFAULT_THREAD_TITLE);
      return reply.code(201).send({ thread: threadView(created) });
    },
  );

  fastify.patch<ThreadParams & { Body: { title: string } }>(
    RoutePath.THREAD,
    {
      schema: {
        params: THREAD_PARAMS,
        body: { type: "object", required: ["title"], additionalProperties: false, properties: { title: TITLE } },
      },
    },
    async (request) => {
      const user = await caller(request);
      const renamed = await threads.rename(user.id, request.params.thread_id, request.body.title);
      if (renamed === null) throw threadNotFound(request.params.thread_id);
      return { thread: threadView(renamed) };
    },
  );

  fastify.delete<ThreadParams>(RoutePath.THREAD, { schema: { params: THREAD_PARAMS } }, async (request, reply) => {
    const user = await caller(request);
    const threadId = request.params.thread_id;
    if ((await threads.get(user.id, threadId)) === null) throw threadNotFound(threadId);
    // Deleting cascades to the runs and their event log; a run still writing events would lose its row mid-stream.
    const open = (await runs.listByThread(user.id, threadId)).filter((r) => r.endedAt === null);
    if (open.length > 0) {
      const ids = open.map((r) => r.id).join(", ");
      return sendError(reply, 409, new ApexError(ErrorCode.THREAD_BUSY, `Thread ${threadId} has a run in flight (${ids}); cancel it or wait for it to end, then delete the thread.`));
    }
    if (!(await threads.delete(user.id, threadId))) throw threadNotFound(threadId);
    return reply.code(204).send();
  });

  fastify.get<ThreadParams & { Querystring: { after?: number; limit: number } }>(
    RoutePath.THREAD_MESSAGES,
    {
      schema: {
        params: THREAD_PARAMS,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            after: { type: "integer", minimum: 0 },
            limit: { type: "integer", minimum: 1, maximum: MAX_MESSAGES_PAGE, default: DEFAULT_MESSAGES_PAGE },
          },
        },
      },
    },
    async (request) => {
      const user = await caller(request);
      const threadId = request.params.thread_id;
      if ((await threads.get(user.id, threadId)) === null) throw threadNotFound(threadId);
      const { after, limit } = request.query;
      const page = await messages.page(user.id, threadId, { ...(after === undefined ? {} : { afterId: after }), limit });
      // A full page may have a next one: the client passes `next_after` as `after`; null means the end was reached.
      const last = page.at(-1);
      return { thread_id: threadId, messages: page.map(messageView), next_after: page.length === limit && last !== undefined ? last.id : null };
    },
  );

  fastify.get<ThreadParams>(RoutePath.THREAD_RUNS, { schema: { params: THREAD_PARAMS } }, async (request) => {
    const user = await caller(request);
    const threadId = request.params.thread_id;
    if ((await threads.get(user.id, threadId)) === null) throw threadNotFound(threadId);
    return { thread_id: threadId, runs: (await runs.listByThread(user.id, threadId)).map(runView) };
  });
}

/**
 * The `properties` of a route's JSON schema for the wire shape T (src/protocol/rest.ts): one per field and none more.
 * A response schema drops what it does not list, so a field added to T but not to the schema would vanish silently.
 */
export type SchemaProperties<T> = { [K in keyof Required<T>]: unknown };

/** An error answered here with a status the app-wide map does not hold; same body shape as the app's error handler. */
export function sendError(reply: FastifyReply, status: number, error: ApexError): FastifyReply {
  return reply.code(status).send({ error: { code: error.code, message: error.message } });
}
