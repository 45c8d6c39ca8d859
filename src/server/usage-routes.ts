import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { FastifyInstance } from "fastify";
import { FORMAT_NAMES, openUsageReader, type FormatName } from "../analytics/read-usage.ts";
import { ApexError, isApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode, type ErrorCodeName, RoutePath } from "../protocol/names.ts";
import type { UsageSummary, UsageUpload } from "../protocol/rest.ts";
import { sendError } from "./api-routes.ts";
import { Authenticator } from "./auth.ts";
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
const UPLOAD_DIR = "uploads";

/** Errors in the uploaded data itself: the client must fix the file, so they are 422 and say what is wrong. */
const DATA_ERRORS: readonly ErrorCodeName[] = [
  ErrorCode.UNKNOWN_FORMAT,
  ErrorCode.MIXED_FORMATS,
  ErrorCode.NO_USAGE_DATA,
  ErrorCode.CORRUPT_FILE,
  ErrorCode.INVALID_RECORD,
];

function tooLarge(limit: number): ApexError {
  return new ApexError(
    ErrorCode.UPLOAD_TOO_LARGE,
    `The upload is larger than the server's limit of ${limit} bytes; gzip it, split it into smaller files, or raise ${EnvVar.UPLOAD_LIMIT_BYTES}.`,
    { details: { limit_bytes: limit } },
  );
}

/** Copies the body to `path` with backpressure, counting bytes; rejects past `limit` without reading further. */
function spool(body: Readable, path: string, limit: number): Promise<number> {
  const file = createWriteStream(path, { flags: "wx", mode: 0o600 });
  let bytes = 0;
  let settled = false;
  return new Promise<number>((resolve, reject) => {
    const stop = (error: unknown) => {
      if (settled) return;
      settled = true;
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
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) return stop(tooLarge(limit));
      if (!file.write(chunk)) {
        body.pause();
        file.once("drain", () => body.resume());
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
      file.end();
      finished(file).then(
        () => {
          settled = true;
          resolve(bytes);
        },
        (error: unknown) => stop(new ApexError(ErrorCode.INTERNAL, `The upload could not be stored: ${(error as Error).message}`, { cause: error })),
      );
    });
    file.once("error", (error) => stop(new ApexError(ErrorCode.INTERNAL, `The upload could not be stored: ${error.message}`, { cause: error })));
    // A client that went away before this handler ran: its body closed already, so no event above will ever fire.
    if (body.destroyed && !body.readableEnded) {
      stop(new ApexError(ErrorCode.INVALID_REQUEST, "The upload was cut off before its end; send the file again."));
    }
  });
}

export async function usageRoutes(fastify: FastifyInstance, options: UsageRoutesOptions): Promise<void> {
  const uploads = join(options.dataDir, UPLOAD_DIR);
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
      try {
        const received = await spool(request.raw, path, limit);
        const reader = await openUsageReader(path, { format, model, feature, provider });
        const summary = await ingestForOwner(options, reader, user.id, corpus);
        return { corpus, received_bytes: received, ...summary } satisfies UsageUpload;
      } catch (error) {
        if (isApexError(error) && error.code === ErrorCode.UPLOAD_TOO_LARGE) return sendError(reply.header("connection", "close"), 413, error);
        if (isApexError(error) && DATA_ERRORS.includes(error.code)) return sendError(reply, 422, error);
        throw error;
      } finally {
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
        corpora,
      };
    },
  );
}
