import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateWorkload } from "../../src/analytics/generator/workload.ts";
import { ingestUsage } from "../../src/analytics/ingest.ts";
import { readUsageLines } from "../../src/analytics/read-usage.ts";
import type { RecordedServer } from "../../src/llm/recorded-server.ts";
import { PriceBook } from "../../src/pricing/price-book.ts";
import { EnvVar } from "../../src/protocol/names.ts";
import { buildApp, type ApexApp } from "../../src/server/app.ts";
import { loadServerConfig } from "../../src/server/config.ts";

// A server node for the shutdown and multi-node tests: a real app on port 0 whose LLM is a recorded OpenAI-compatible
// server on 127.0.0.1 (so a test sets how long a run waits on its LLM call), on PGlite in its own data dir or on a
// given PostgreSQL database (with Redis). The caller closes the app itself (that is what these tests are about).

export const TEST_MODEL = "gpt-test";

export interface ClusterNode {
  app: ApexApp;
  url: string;
  /** Removes the data dir; call after the app is closed. */
  dispose(): Promise<void>;
}

export async function startClusterNode(llm: RecordedServer, env: Record<string, string | undefined>): Promise<ClusterNode> {
  const dataDir = await mkdtemp(join(tmpdir(), "apex-node-"));
  const app = await buildApp(
    await loadServerConfig(
      {
        [EnvVar.DATA_DIR]: dataDir,
        [EnvVar.LOG_LEVEL]: "silent",
        [EnvVar.LLM_PROVIDER]: "openai",
        [EnvVar.LLM_BASE_URL]: `${llm.url}/v1`,
        [EnvVar.LLM_MODEL]: TEST_MODEL,
        ...env,
      },
      { port: 0 },
    ),
  );
  const url = await app.fastify.listen({ port: 0, host: "127.0.0.1" });
  return { app, url, dispose: () => rm(dataDir, { recursive: true, force: true }) };
}

/** Gives `owner` real usage data, so a run asks the LLM (with none, the pipeline answers without it). */
export async function seedUsage(app: ApexApp, owner: string): Promise<void> {
  const book = new PriceBook();
  const workload = generateWorkload({ scenario: "saas", records: 300, days: 7, seed: 11, price: (r) => book.price(r).computed_cost_usd });
  const reader = await readUsageLines([...workload.records()].map((r) => JSON.stringify(r)), { format: "canonical" });
  await ingestUsage(reader, app.usage, { owner, corpus: "default", price: (r) => book.price(r) });
}
