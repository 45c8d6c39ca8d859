import { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { UsageStore } from "../analytics/store.ts";
import { RoutePath } from "../protocol/names.ts";
import type { CorpusDetail, CorpusListing, CorpusPart } from "../protocol/rest.ts";
import type { CorpusRetentionRepository } from "../store/corpus-retention.ts";
import { checkRename, corpusNotFound as notFound } from "../tools/corpus-administration.ts";
import type { SchemaProperties } from "./api-routes.ts";
import type { CorpusService } from "./corpus-service.ts";
import { corpusStatusSchema, withStatus, type IngestStates } from "./corpus-status.ts";
import { AuditAction } from "./audit-actions.ts";
import type { AuditTrail } from "./audit-trail.ts";
import { Authenticator, type AuthUser } from "./auth.ts";

// A user's datasets (corpora) over REST: list, describe, rename, delete with their usage rows, export as canonical
// JSONL streamed page by page. Only the caller's own: another user's corpus answers 404 exactly like a missing one.
// Renames and deletions go through the CorpusService the chat tools use too (settings moved, audit log written).
// Each corpus says whether its last ingest completed (`status`, `partial` with the records kept).

export interface CorporaRoutesOptions {
  auth: Authenticator;
  usage: UsageStore;
  audit: Pick<AuditTrail, "record">;
  /** Each corpus's own retention (days of records kept; null = the server's default). */
  retention: Pick<CorpusRetentionRepository, "get" | "set">;
  corpora: CorpusService;
  /** The ingest log, for each corpus's status. */
  ingests: IngestStates;
}

/** Up to 100 years; 0 keeps every record whatever the server's default. */
const RETENTION_DAYS = { type: ["integer", "null"], minimum: 0, maximum: 36_500 } as const;

type CorpusParams = { Params: { corpus: string } };

/** The corpus name rule of uploads (usage-routes.ts) and the corpus tools. */
const CORPUS = { type: "string", minLength: 1, maxLength: 100, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" } as const;
const CORPUS_PARAMS = { type: "object", required: ["corpus"], properties: { corpus: CORPUS } } as const;
const NDJSON = "application/x-ndjson";
const count = { type: "integer" } as const;
const nullableCost = { type: ["number", "null"] } as const;
const nullableTime = { type: ["string", "null"], format: "date-time" } as const;

/** A corpus in the listing (the usage store's CorpusSummary and its status). */
const corpusSummarySchema = {
  type: "object",
  required: ["corpus", "records", "calls", "cost_usd", "from", "to", "status", "partial"],
  properties: {
    corpus: { type: "string" },
    records: count,
    calls: count,
    cost_usd: nullableCost,
    from: nullableTime,
    to: nullableTime,
    ...corpusStatusSchema,
  } satisfies SchemaProperties<CorpusListing>,
} as const;

const corpusPartSchema = {
  type: "object",
  required: ["name", "records", "calls", "cost_usd"],
  properties: { name: { type: ["string", "null"] }, records: count, calls: count, cost_usd: nullableCost } satisfies SchemaProperties<CorpusPart>,
} as const;

/** A corpus in full (the usage store's CorpusDescription); models and features most expensive first. */
const corpusDescriptionSchema = {
  type: "object",
  required: ["corpus", "records", "calls", "cost_usd", "unpriced_calls", "input_tokens", "output_tokens", "period", "models", "features", "status", "partial"],
  properties: {
    corpus: { type: "string" },
    records: count,
    calls: count,
    cost_usd: nullableCost,
    unpriced_calls: count,
    input_tokens: count,
    output_tokens: count,
    period: { type: "object", required: ["from", "to", "days"], properties: { from: nullableTime, to: nullableTime, days: { type: "number" } } },
    models: { type: "array", items: corpusPartSchema },
    features: { type: "array", items: corpusPartSchema },
    ...corpusStatusSchema,
    /** The corpus's own retention in days; null when it follows the server's default. */
    retention_days: { type: ["integer", "null"] },
  } satisfies SchemaProperties<CorpusDetail>,
} as const;
const oneCorpus = { 200: { type: "object", required: ["corpus"], properties: { corpus: corpusDescriptionSchema } } } as const;


export async function corporaRoutes(fastify: FastifyInstance, options: CorporaRoutesOptions): Promise<void> {
  const { usage, audit, retention, corpora, ingests } = options;
  const described = async (owner: string, corpus: string): Promise<CorpusDetail | null> => {
    const description = await usage.describeCorpus(owner, corpus);
    if (description === null) return null;
    const [withIngest] = await withStatus(ingests, owner, [description]);
    return { ...withIngest!, retention_days: await retention.get(owner, corpus) };
  };
  const caller = (request: FastifyRequest): Promise<AuthUser> => options.auth.authenticate(Authenticator.bearer(request.headers.authorization));
  const names = async (owner: string) => (await usage.listCorpora(owner)).map((c) => c.corpus);

  fastify.get(RoutePath.CORPORA, { schema: { response: { 200: { type: "object", required: ["corpora"], properties: { corpora: { type: "array", items: corpusSummarySchema } } } } } }, async (request) => {
    const user = await caller(request);
    return { corpora: await withStatus(ingests, user.id, await usage.listCorpora(user.id)) };
  });

  fastify.get<CorpusParams>(RoutePath.CORPUS, { schema: { params: CORPUS_PARAMS, response: oneCorpus } }, async (request) => {
    const user = await caller(request);
    const corpus = await described(user.id, request.params.corpus);
    if (corpus === null) throw notFound(request.params.corpus);
    return { corpus };
  });

  fastify.patch<CorpusParams & { Body: { name?: string; retention_days?: number | null } }>(
    RoutePath.CORPUS,
    {
      schema: {
        params: CORPUS_PARAMS,
        body: { type: "object", minProperties: 1, additionalProperties: false, properties: { name: CORPUS, retention_days: RETENTION_DAYS } },
        response: oneCorpus,
      },
    },
    async (request) => {
      const user = await caller(request);
      const { corpus } = request.params;
      const { name = corpus, retention_days: days } = request.body;
      // A rename checks the names itself (and moves the setting); without one the corpus must still exist. Either way the
      // check comes before any change, and the names are listed once.
      if (name !== corpus) await corpora.rename(user.id, corpus, name);
      else checkRename(await names(user.id), corpus, name);
      if (days !== undefined) {
        await retention.set(user.id, name, days);
        await audit.record(user, { action: AuditAction.CORPUS_RETENTION, target: corpus, params: { retention_days: days } });
      }
      return { corpus: await described(user.id, name) };
    },
  );

  fastify.delete<CorpusParams>(
    RoutePath.CORPUS,
    { schema: { params: CORPUS_PARAMS, response: { 200: { type: "object", required: ["corpus", "deleted_records"], properties: { corpus: { type: "string" }, deleted_records: count } } } } },
    async (request) => {
    const user = await caller(request);
    const { corpus } = request.params;
    return { corpus, deleted_records: await corpora.delete(user.id, corpus) };
    },
  );

  fastify.get<CorpusParams>(RoutePath.CORPUS_EXPORT, { schema: { params: CORPUS_PARAMS } }, async (request, reply) => {
    const user = await caller(request);
    const { corpus } = request.params;
    if (!(await names(user.id)).includes(corpus)) throw notFound(corpus);
    async function* lines(): AsyncGenerator<string> {
      for await (const record of usage.exportCorpus(user.id, corpus)) yield `${JSON.stringify(record)}\n`;
    }
    return reply
      .header("content-type", NDJSON)
      .header("content-disposition", `attachment; filename="${corpus}.jsonl"`)
      .send(Readable.from(lines()));
  });
}
