import { randomInt, randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { writeWorkloadFile } from "../analytics/generator/workload-file.ts";
import { openUsageReaderInWorker } from "../analytics/read-usage-in-worker.ts";
import { RoutePath } from "../protocol/names.ts";
import type { DemoLoad } from "../protocol/rest.ts";
import { Authenticator } from "./auth.ts";
import { runIngestJob } from "./ingest-job.ts";
import { ingestForOwner, type UsageIngestTarget } from "./usage-ingest.ts";

// `POST /api/usage/demo`: one click gives a new account something to analyse. A month of the generator's SaaS traffic
// with planted waste is written as a canonical JSON Lines file and read back through the upload's reader and ingest, so
// demo data is checked and priced exactly like a file the user sends. It goes to its own corpus, apart from the user's
// real data. Both the writing and the reading run in worker threads, and stop when the client goes away.

export interface DemoRoutesOptions extends UsageIngestTarget {
  auth: Authenticator;
  /** Where the generated file is written while it is read (the uploads directory, swept at start). */
  scratchDir: string;
  /** The longest the whole load may take (the upload's ingest timeout). */
  timeoutMs: number;
}

interface DemoBody {
  records?: number;
  seed?: number;
}

const SCENARIO = "saas";
const DEMO_CORPUS = "demo";
const DEFAULT_RECORDS = 20_000;
/** Enough for a convincing month; more would keep the request (and the button) waiting for many seconds. */
const MAX_RECORDS = 200_000;
const DAYS = 30;
const DAY_MS = 86_400_000;
const MAX_SEED = 2 ** 31;

/** The last whole days up to today (UTC): the data looks current, and "last week" means last week. */
function demoStart(now: number): string {
  return new Date((Math.floor(now / DAY_MS) - DAYS) * DAY_MS).toISOString();
}

export async function demoRoutes(fastify: FastifyInstance, options: DemoRoutesOptions): Promise<void> {
  fastify.post<{ Body: DemoBody | undefined }>(
    RoutePath.USAGE_DEMO,
    {
      schema: {
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: {
            records: { type: "integer", minimum: 1, maximum: MAX_RECORDS },
            seed: { type: "integer", minimum: 0, maximum: MAX_SEED },
          },
        },
      },
    },
    async (request, reply): Promise<DemoLoad> => {
      const user = await options.auth.authenticate(Authenticator.bearer(request.headers.authorization));
      const records = request.body?.records ?? DEFAULT_RECORDS;
      const seed = request.body?.seed ?? randomInt(MAX_SEED);
      await mkdir(options.scratchDir, { recursive: true });
      const path = join(options.scratchDir, `${randomUUID()}.demo.jsonl`);
      try {
        const summary = await runIngestJob(reply.raw, options.timeoutMs, async (signal) => {
          await writeWorkloadFile(path, { scenario: SCENARIO, records, days: DAYS, seed, start: demoStart(Date.now()) }, { signal });
          const reader = await openUsageReaderInWorker(path, { format: "canonical" }, { signal });
          return ingestForOwner(options, reader, user.id, DEMO_CORPUS);
        });
        return { scenario: SCENARIO, seed, corpus: DEMO_CORPUS, ...summary };
      } finally {
        await rm(path, { force: true });
      }
    },
  );
}
