import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { FastifyInstance } from "fastify";
import { FORMAT_NAMES, type FormatName } from "../analytics/read-usage.ts";
import { openUsageReaderInWorker } from "../analytics/read-usage-in-worker.ts";
import { ApexError, isApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode, type ErrorCodeName, RoutePath } from "../protocol/names.ts";
import type { UsageSummary, UsageUpload } from "../protocol/rest.ts";
import { sendError } from "./api-routes.ts";
import { Authenticator } from "./auth.ts";
import { boundedRead, runIngestJob, type IngestBounds } from "./ingest-job.ts";
import { withStatus, type IngestStates } from "./corpus-status.ts";
import { sweepUploads, UPLOAD_RETRY_AFTER_SECONDS, UploadSlots } from "./upload-slots.ts";
import { ingestForOwner, type UsageIngestTarget } from "./usage-ingest.ts";

// A user's own usage data over HTTP: `POST /api/usage` streams an ingest file (any format, plain or gzip) to a temp
// file under the data dir, never whole in memory, ingests it under the caller's id and answers the ingest summary;
// `GET /api/usage/summary` says what is loaded. The temp file is removed whatever happens.

export interface UsageRoutesOptions extends UsageIngestTarget {
  auth: Authenticator;
  /** Uploads are spooled to `<dataDir>/uploads/`. */
  dataDir: string;
  /** The largest body accepted, in bytes as sent; past it the answer is 413 upload_too_large. */
  uploadLimitBytes: number;
  /** How much of an upload is read, and for how long; the reading runs in a worker thread. */
  ingestBounds: IngestBounds;
  /** The slowest body accepted; a slower upload answers 408 upload_too_slow. */
  bodyRate: BodyRate;
  /** Uploads one user may have in progress at once on this node; one more answers 429 rate_limited. */
  maxConcurrentUploads: number;
  /** The ingest log, for each corpus's status in the summary. */
  ingests: IngestStates;
}

interface UploadQuery {
  format: FormatName | "auto";
  corpus: string;
  model?: string;
  feature?: string;
  provider?: string;
}

const NAME = { type: "string", minLength: 1, maxLength: 200 } as const;
const CORPUS = { type: "string", minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" } as const;
/** Temp files of uploads and generated data, under the data directory; swept at start. */
export const UPLOAD_DIR = "uploads";

/** Errors in the uploaded data itself: the client must fix the file, so they are 422 and say what is wrong. */
const DATA_ERRORS: readonly ErrorCodeName[] = [
  ErrorCode.UNKNOWN_FORMAT,
  ErrorCode.MIXED_FORMATS,
  ErrorCode.NO_USAGE_DATA,
  ErrorCode.CORRUPT_FILE,
  ErrorCode.INVALID_RECORD,
  ErrorCode.TOO_MANY_REJECTIONS,
];

function tooLarge(limit: number): ApexError {
  return new ApexError(
    ErrorCode.UPLOAD_TOO_LARGE,
    `The upload is larger than the server's limit of ${limit} bytes; gzip it, split it into smaller files, or raise ${EnvVar.UPLOAD_LIMIT_BYTES}.`,
    { details: { limit_bytes: limit } },
  );
}

/** The slowest body accepted: at least `minBytes` in every `windowMs` (minBytes 0: no minimum). */
export interface BodyRate {
  minBytes: number;
  windowMs: number;
}

/** The window is checked this many times per its length, so a stall is caught within a fraction of it. */
const RATE_TICKS = 4;

function tooSlow(rate: BodyRate): ApexError {
  return new ApexError(
    ErrorCode.UPLOAD_TOO_SLOW,
    `The upload arrived at fewer than ${rate.minBytes} bytes in ${rate.windowMs / 1000} s; check the connection and send the file again (the minimum is ${EnvVar.UPLOAD_MIN_RATE_BYTES} per ${EnvVar.UPLOAD_RATE_WINDOW_MS}).`,
    { details: { min_bytes: rate.minBytes, window_ms: rate.windowMs } },
  );
}

/**
 * Copies the body to `path` with backpressure, counting bytes; rejects past `limit` without reading further, and when
 * the client sends slower than `rate` (a trickling client would hold its socket and temp file for ever).
 */
function spool(body: Readable, path: string, limit: number, rate: BodyRate): Promise<number> {
  const file = createWriteStream(path, { flags: "wx", mode: 0o600 });
  let bytes = 0;
  let settled = false;
  let waitingForDisk = false;
  // Bytes received at each tick of the last window, oldest first: the rate is judged over a sliding window.
  const received = [0];
  return new Promise<number>((resolve, reject) => {
    let watch: NodeJS.Timeout | undefined;
    const stop = (error: unknown) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      body.off("data", onData);
      body.pause();
      // Reject only once the file is closed: its open is asynchronous, and a file opened after the caller's cleanup
      // would be left behind.
      if (file.closed) reject(error);
      else {
        file.once("close", () => reject(error));
        file.destroy();
      }
    };
    const checkRate = () => {
      received.push(bytes);
      // A slow disk pauses the body: that time is ours, not the client's, so the window starts again.
      if (waitingForDisk) received.splice(0, received.length - 1);
      if (received.length <= RATE_TICKS) return;
      const before = received.shift() ?? 0;
      if (bytes - before < rate.minBytes) stop(tooSlow(rate));
    };
    if (rate.minBytes > 0) watch = setInterval(checkRate, rate.windowMs / RATE_TICKS).unref();
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) return stop(tooLarge(limit));
      if (!file.write(chunk)) {
        body.pause();
        waitingForDisk = true;
        file.once("drain", () => {
          waitingForDisk = false;
          body.resume();
        });
      }
    };
    body.on("data", onData);
    body.once("error", (error) =>
      stop(new ApexError(ErrorCode.INVALID_REQUEST, `The upload was interrupted (${error.message}); send the file again.`, { cause: error })),
    );
    // A client that goes away mid-upload: the socket closes before the body ends (Node may emit no error for it).
    body.once("close", () => {
      if (!body.readableEnded) stop(new ApexError(ErrorCode.INVALID_REQUEST, "The upload was cut off before its end; send the file again."));
    });
    body.once("end", () => {
      if (settled) return;
      clearInterval(watch);
      file.end();
      finished(file).then(
        () => {
          settled = true;
          resolve(bytes);
        },
        (error: unknown) => stop(new ApexError(ErrorCode.INTERNAL, "The upload could not be stored on the server; try again.", { cause: error })),
      );
    });
    file.once("error", (error) => stop(new ApexError(ErrorCode.INTERNAL, "The upload could not be stored on the server; try again.", { cause: error })));
    // A client that went away before this handler ran: its body closed already, so no event above will ever fire.
    if (body.destroyed && !body.readableEnded) {
      stop(new ApexError(ErrorCode.INVALID_REQUEST, "The upload was cut off before its end; send the file again."));
    }
  });
}

/** The reader's messages name the file it reads, here the server's temp path: to the client it is "the upload". */
function aboutTheUpload(error: unknown, path: string): unknown {
  if (!isApexError(error) || !error.message.includes(path)) return error;
  const named = error.message.startsWith(path) ? `The upload${error.message.slice(path.length)}` : error.message;
  const message = named.replaceAll(path, "the upload");
  const details = { ...error.details };
  delete details.path;
  return new ApexError(error.code, message, { cause: error, retryable: error.retryable, details });
}

export async function usageRoutes(fastify: FastifyInstance, options: UsageRoutesOptions): Promise<void> {
  const uploads = join(options.dataDir, UPLOAD_DIR);
  const slots = new UploadSlots(options.maxConcurrentUploads);
  // Temp files of a server killed mid-upload: nobody will read them again.
  const swept = await sweepUploads(uploads);
  if (swept > 0) fastify.log.info({ files: swept }, "removed temp uploads left by a previous run");
  // The body stays an unread stream (any content type): the handler spools it, so no parser buffers it whole.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));

  fastify.post<{ Querystring: UploadQuery }>(
    RoutePath.USAGE,
    {
      schema: {
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            format: { type: "string", enum: ["auto", ...FORMAT_NAMES], default: "auto" },
            corpus: { ...CORPUS, default: "default" },
            model: NAME,
            feature: NAME,
            provider: NAME,
          },
        },
      },
    },
    async (request, reply) => {
      const user = await options.auth.authenticate(Authenticator.bearer(request.headers.authorization));
      const limit = options.uploadLimitBytes;
      const declared = Number(request.headers["content-length"] ?? Number.NaN);
      // Past the limit the connection is closed: the rest of the body is never read.
      if (declared > limit) return sendError(reply.header("connection", "close"), 413, tooLarge(limit));
      const { format, corpus, model, feature, provider } = request.query;
      await mkdir(uploads, { recursive: true });
      const path = join(uploads, `${randomUUID()}.upload`);
      const release = slots.take(user.id);
      if (release === undefined) {
        return sendError(reply.header("retry-after", String(UPLOAD_RETRY_AFTER_SECONDS)).header("connection", "close"), 429, slots.refusal());
      }
      try {
        const received = await spool(request.raw, path, limit, options.bodyRate);
        // The body is in: the ingest's own timeout bounds the wait now, not the idle-connection timeout.
        request.raw.socket.setTimeout(0);
        const bounds = options.ingestBounds;
        const summary = await runIngestJob(reply.raw, bounds.timeoutMs, async (signal) => {
          const reader = await openUsageReaderInWorker(path, { format, model, feature, provider, ...boundedRead(bounds) }, { signal });
          return ingestForOwner(options, reader, user.id, corpus);
        });
        return { corpus, received_bytes: received, ...summary } satisfies UsageUpload;
      } catch (thrown) {
        const error = aboutTheUpload(thrown, path);
        if (isApexError(error) && error.code === ErrorCode.UPLOAD_TOO_LARGE) return sendError(reply.header("connection", "close"), 413, error);
        if (isApexError(error) && DATA_ERRORS.includes(error.code)) return sendError(reply, 422, error);
        // The client went away (nginx's "client closed request"): nobody reads this answer, and it is no server error.
        if (isApexError(error) && error.code === ErrorCode.CANCELLED) return sendError(reply, 499, error);
        throw error;
      } finally {
        release();
        await rm(path, { force: true });
      }
    },
  );

  fastify.get<{ Querystring: { corpus?: string } }>(
    RoutePath.USAGE_SUMMARY,
    { schema: { querystring: { type: "object", additionalProperties: false, properties: { corpus: CORPUS } } } },
    async (request): Promise<UsageSummary> => {
      const user = await options.auth.authenticate(Authenticator.bearer(request.headers.authorization));
      const scope = { owner: user.id, ...(request.query.corpus === undefined ? {} : { corpus: request.query.corpus }) };
      const totals = await options.usage.totals(scope);
      const models = await options.usage.breakdown(scope, "model");
      const corpora = await options.usage.listCorpora(user.id);
      return {
        corpus: request.query.corpus ?? null,
        records: totals.records,
        calls: totals.calls,
        cost_usd: totals.cost_usd,
        unpriced_calls: totals.unpriced_calls,
        period: totals.period,
        models: models.map((m) => ({ model: m.key, records: m.records, calls: m.calls, cost_usd: m.cost_usd, unpriced_calls: m.unpriced_calls })),
        corpora: await withStatus(options.ingests, user.id, corpora),
      };
    },
  );
}
