import { randomInt } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { generateWorkload } from "../analytics/generator/workload.ts";
import { readUsageLines } from "../analytics/read-usage.ts";
import { RoutePath } from "../protocol/names.ts";
import type { DemoLoad } from "../protocol/rest.ts";
import { Authenticator } from "./auth.ts";
import { ingestForOwner, type UsageIngestTarget } from "./usage-ingest.ts";

// `POST /api/usage/demo`: one click gives a new account something to analyse. A month of the generator's SaaS traffic
// with planted waste is written as canonical lines and read back through the upload's reader and ingest, so demo data
// is checked and priced exactly like a file the user sends. It goes to its own corpus, apart from the user's real data.

export interface DemoRoutesOptions extends UsageIngestTarget {
  auth: Authenticator;
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
    async (request): Promise<DemoLoad> => {
      const user = await options.auth.authenticate(Authenticator.bearer(request.headers.authorization));
      const records = request.body?.records ?? DEFAULT_RECORDS;
      const seed = request.body?.seed ?? randomInt(MAX_SEED);
      const workload = generateWorkload({
        scenario: SCENARIO,
        records,
        days: DAYS,
        seed,
        start: demoStart(Date.now()),
        price: (record) => options.prices.price(record).computed_cost_usd,
      });
      function* lines(): Generator<string> {
        for (const record of workload.records()) yield JSON.stringify(record);
      }
      const reader = await readUsageLines(lines(), { format: "canonical" }, "the demo data");
      const summary = await ingestForOwner(options, reader, user.id, DEMO_CORPUS);
      return { scenario: SCENARIO, seed, corpus: DEMO_CORPUS, ...summary };
    },
  );
}
