import { contentToText, type RunAgentInput } from "@ag-ui/core";
import { RunAgentInputSchema } from "@ag-ui/core/schemas";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Bus } from "../bus/bus.ts";
import { MAX_MESSAGE_CHARS } from "../protocol/commands.ts";
import { ApexError, toApexError } from "../protocol/errors.ts";
import type { RunEvent } from "../protocol/events.ts";
import { ErrorCode, EventType, RoutePath } from "../protocol/names.ts";
import type { Report } from "../protocol/report.ts";
import type { StoreDb } from "../store/database.ts";
import type { EventLog } from "../store/event-log.ts";
import { RunRepository } from "../store/runs.ts";
import { ThreadRepository } from "../store/threads.ts";
import { sseFrames, toAguiEvents } from "./agui.ts";
import { Authenticator, type AuthUser } from "./auth.ts";
import { RunFollower, type RunFollowerDeps } from "./run-follower.ts";
import type { RunLauncher } from "./run-launcher.ts";

// The AG-UI endpoint. `POST /agui` takes a RunAgentInput, starts a run of the caller's last user message through the
// same launcher as /ws, and streams the run's AG-UI events as SSE, each run event's last frame with `id: <seq>`.
// `GET /agui/runs/:run_id` resumes that stream after Last-Event-ID (or ?after_seq=). Both end after the terminal event;
// a client that goes away stops the following, never the run. Threads: the input's threadId continues the caller's
// thread of that id; any other threadId (the client's own, another user's) starts a new thread, whose id RUN_STARTED
// carries. The client's runId is not used either: the run gets ours. A stream of an account disabled (on any node) ends.

export interface AguiRoutesOptions {
  auth: Authenticator;
  db: StoreDb;
  launcher: RunLauncher;
  bus: Bus;
  log: EventLog;
  /** Bytes queued for one response past which the stream is paced (replay) or cut (live; the client resumes). */
  byteBudget: number;
  onError: (error: unknown) => void;
}

/** A conversation history is longer than one WebSocket frame. */
const BODY_LIMIT_BYTES = 1024 * 1024;
const SEQ_PATTERN = /^\d{1,15}$/;
const RUN_PARAMS = { type: "object", required: ["run_id"], properties: { run_id: { type: "string", minLength: 1, maxLength: 128 } } } as const;
const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
} as const;

type ResumeRequest = { Params: { run_id: string }; Querystring: { after_seq?: number } };

/** One SSE response following one run; the response opens with the first frame and ends when the follow stops. */
class AguiStream {
  readonly #reply: FastifyReply;
  readonly #deps: RunFollowerDeps;
  readonly #owner: string;
  readonly #done: Promise<void>;
  #resolve: () => void = () => undefined;
  #follower: RunFollower | undefined;
  #report: Report | undefined;
  #opened = false;
  #abandoned = false;

  constructor(reply: FastifyReply, owner: string, deps: RunFollowerDeps) {
    this.#reply = reply;
    this.#owner = owner;
    this.#deps = deps;
    this.#done = new Promise((resolve) => (this.#resolve = resolve));
    // A client that goes away stops the following (and its bus subscription); the run goes on.
    reply.raw.on("close", () => this.stop());
  }

  get opened(): boolean {
    return this.#opened;
  }

  /** Resolves once the stream has ended (terminal event sent, events lost, or the client gone). */
  get done(): Promise<void> {
    return this.#done;
  }

  /** Follows the run after `afterSeq` (replaying the log first when `replay`); `report` is the run's report if already sent. */
  async follow(runId: string, afterSeq: number, replay: boolean, report?: Report): Promise<void> {
    this.#report = report;
    const reply = this.#reply;
    this.#follower = new RunFollower(this.#deps, { runId, owner: this.#owner, afterSeq }, {
      get bufferedAmount() {
        return reply.raw.writableLength;
      },
      send: (event) => this.#send(event),
      // Ending the stream is how SSE asks for a resync: the client reconnects with its Last-Event-ID.
      lost: () => undefined,
      stopped: () => this.#finish(),
    });
    if (this.#reply.raw.destroyed) this.#follower.stop();
    await this.#follower.start(replay);
  }

  stop(): void {
    if (this.#follower === undefined) this.#finish();
    else this.#follower.stop();
  }

  /** Stops without answering: the caller answers with an error instead (nothing was streamed yet). */
  abandon(): void {
    this.#abandoned = true;
    this.stop();
  }

  #send(event: RunEvent): void {
    if (event.type === EventType.FINAL_REPORT) this.#report = event.data.report;
    this.#open();
    this.#reply.raw.write(sseFrames(toAguiEvents(event, this.#report), event.seq));
  }

  #open(): void {
    if (this.#opened || this.#abandoned) return;
    this.#opened = true;
    this.#reply.hijack();
    // A run can be silent for minutes (an approval waits up to its TTL): the stream is bounded by the run and the
    // byte budget, not by the connection timeout, like a WebSocket.
    this.#reply.raw.socket?.setTimeout(0);
    this.#reply.raw.writeHead(200, SSE_HEADERS);
  }

  #finish(): void {
    if (!this.#abandoned && !this.#reply.raw.destroyed) {
      this.#open();
      this.#reply.raw.end();
    }
    this.#resolve();
  }
}

function invalid(message: string): ApexError {
  return new ApexError(ErrorCode.INVALID_REQUEST, message);
}

function parseInput(body: unknown): RunAgentInput {
  const parsed = RunAgentInputSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`)
    .join("; ");
  throw invalid(`The body is not an AG-UI RunAgentInput (${problems}); send threadId, runId and messages.`);
}

/** The request is the text of the last user message. */
function requestText(input: RunAgentInput): string {
  const last = input.messages.filter((message) => message.role === "user").at(-1);
  const text = last === undefined ? "" : contentToText(last.content).trim();
  if (text === "") throw invalid("The RunAgentInput has no user message with text; add one with role \"user\" saying what to analyse.");
  if (text.length > MAX_MESSAGE_CHARS) throw invalid(`The last user message has ${text.length} characters; keep it under ${MAX_MESSAGE_CHARS}.`);
  return text;
}

/** Where a resumed stream starts: the Last-Event-ID header (what EventSource sends on reconnect), else ?after_seq. */
function resumeSeq(request: FastifyRequest<ResumeRequest>): number {
  const header = request.headers["last-event-id"];
  if (header === undefined) return request.query.after_seq ?? 0;
  const value = (Array.isArray(header) ? header.at(-1) : header)?.trim() ?? "";
  if (!SEQ_PATTERN.test(value)) throw invalid(`Last-Event-ID must be the seq of the last event received (a whole number); got ${JSON.stringify(value)}.`);
  return Number(value);
}

export async function aguiRoutes(fastify: FastifyInstance, options: AguiRoutesOptions): Promise<void> {
  const runs = new RunRepository(options.db);
  const threads = new ThreadRepository(options.db);
  const deps: RunFollowerDeps = { bus: options.bus, log: options.log, byteBudget: options.byteBudget };
  const caller = (request: FastifyRequest): Promise<AuthUser> => options.auth.authenticate(Authenticator.bearer(request.headers.authorization));
  // The open streams of each account on this node: ended when any node announces the account disabled.
  const streamsOf = new Map<string, Set<AguiStream>>();
  const tracked = (owner: string, stream: AguiStream): AguiStream => {
    const streams = streamsOf.get(owner) ?? new Set<AguiStream>();
    streams.add(stream);
    streamsOf.set(owner, streams);
    void stream.done.then(() => {
      streams.delete(stream);
      if (streams.size === 0 && streamsOf.get(owner) === streams) streamsOf.delete(owner);
    });
    return stream;
  };
  const stopNotices = await options.bus.onNotice((notice) => {
    const streams = streamsOf.get(notice.user_id);
    if (streams === undefined) return;
    options.auth.current(notice.user_id).catch((error: unknown) => {
      if (toApexError(error).code === ErrorCode.UNAUTHORIZED) for (const stream of [...streams]) stream.stop();
      else options.onError(error);
    });
  });
  fastify.addHook("onClose", async () => stopNotices());

  /**
   * The report the client already received up to `afterSeq`, so a resumed RUN_FINISHED still carries it. A client can
   * only have received logged events: an `afterSeq` past the log is refused (its stream would never end).
   */
  async function reportUpTo(runId: string, owner: string, afterSeq: number): Promise<Report | undefined> {
    if (afterSeq === 0) return undefined;
    const seen = await options.log.read(runId, owner, 0, afterSeq);
    if (seen.length < afterSeq) throw invalid(`Run ${runId} has ${seen.length} events so far; resume after one of them, not after ${afterSeq}.`);
    const final = seen.find((event) => event.type === EventType.FINAL_REPORT);
    return final?.type === EventType.FINAL_REPORT ? final.data.report : undefined;
  }

  fastify.post(RoutePath.AGUI, { bodyLimit: BODY_LIMIT_BYTES }, async (request, reply) => {
    const user = await caller(request);
    const input = parseInput(request.body);
    const text = requestText(input);
    // Only the caller's own thread is continued; any other id starts a new thread, revealing nothing about it.
    const threadId = (await threads.get(user.id, input.threadId)) === null ? undefined : input.threadId;
    const stream = tracked(user.id, new AguiStream(reply, user.id, deps));
    try {
      await options.launcher.launch(user, text, threadId, ({ runId }) => stream.follow(runId, 0, false));
    } catch (error) {
      // Refused before the run started (too many runs, shutting down…): an ordinary error answer.
      if (!stream.opened) {
        stream.abandon();
        throw error;
      }
      options.onError(error); // the run is streaming already; its own events say how it ends
    }
    await stream.done;
    return reply;
  });

  fastify.get<ResumeRequest>(
    RoutePath.AGUI_RUN,
    { schema: { params: RUN_PARAMS, querystring: { type: "object", properties: { after_seq: { type: "integer", minimum: 0 } } } } },
    async (request, reply) => {
      const user = await caller(request);
      const { run_id: runId } = request.params;
      const afterSeq = resumeSeq(request);
      // Another user's run answers exactly like a run that does not exist.
      const run = await runs.get(user.id, runId);
      if (run === null) throw new ApexError(ErrorCode.NOT_FOUND, `Run ${runId} was not found.`);
      const report = await reportUpTo(runId, user.id, afterSeq);
      const stream = tracked(user.id, new AguiStream(reply, user.id, deps));
      await stream.follow(runId, afterSeq, true, report);
      // The run had ended before the follow began: the replay held all there will ever be.
      if (run.endedAt !== null) stream.stop();
      await stream.done;
      return reply;
    },
  );
}
