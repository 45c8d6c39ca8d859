import { registerApexAgents } from "../agents/catalog.ts";
import type { UsageQueries } from "../analytics/store.ts";
import type { LlmConfig } from "../llm/config.ts";
import { createLlmProvider } from "../llm/create-provider.ts";
import type { PriceFn } from "../llm/provider.ts";
import type { PriceBook } from "../pricing/price-book.ts";
import type { Agent } from "../runtime/agent.ts";
import { ExecutionEngineFactory } from "../runtime/engine-factory.ts";
import type { EventSink } from "../runtime/event-sink.ts";
import type { InterruptBroker } from "../runtime/interrupts.ts";
import { Registry } from "../runtime/registry.ts";
import type { AnyTool } from "../runtime/tool.ts";
import type { ToolDeniedHook } from "../runtime/tool-dispatcher.ts";
import type { ApexTracing } from "../telemetry/tracing.ts";
import { registerApexTools } from "../tools/catalog.ts";
import type { ApexServices } from "../tools/services.ts";
import type { CorpusAdministration } from "../tools/corpus-administration.ts";
import type { SyntheticJobs } from "../tools/synthetic-jobs.ts";
import type { UserAdministration } from "../tools/user-administration.ts";
import { tracedLlm, type LlmTelemetry } from "./traced-llm.ts";

// The one composition of the real Apex pipeline: the agents and tools of the catalogues, the configured LLM priced by
// the price book, over a usage store, behind one engine factory. `apex serve` and `apex analyze` both build it here.

export interface ApexPipelineOptions {
  usage: UsageQueries;
  prices: PriceBook;
  llm: LlmConfig;
  sink: EventSink;
  maxConcurrentRunsPerUser?: number;
  /** Where agents' questions wait for the user's answer; absent, an agent that asks fails with input_unavailable. */
  interrupts?: InterruptBroker;
  /** Account administration for the admin tools (a server's; absent, those tools fail). */
  admin?: UserAdministration;
  /** Renaming and deleting corpora with their settings, audited (a server's; absent, the usage store alone). */
  corpora?: CorpusAdministration;
  /** Synthetic data jobs (a server's; absent, the Synthetic Data agent says they need the server). */
  synthetic?: SyntheticJobs;
  /** How long an agent's approval question stays open. */
  approvalTtlMs?: number;
  /** Told of every tool call refused for the caller's role; the server audits it. */
  onToolDenied?: ToolDeniedHook;
  /** The server's telemetry: spans around runs, agents, tools and LLM calls; the LLM's tokens and cost in /metrics. */
  telemetry?: LlmTelemetry & { tracing: ApexTracing };
}

function priceFnOf(book: PriceBook): PriceFn {
  return (model, usage) => book.price({ timestamp: new Date().toISOString(), model, ...usage }).computed_cost_usd;
}

export function createApexFactory(options: ApexPipelineOptions): ExecutionEngineFactory<ApexServices> {
  const { telemetry } = options;
  const llm = createLlmProvider(options.llm, { price: priceFnOf(options.prices) });
  const services: ApexServices = {
    usage: options.usage,
    prices: options.prices,
    llm: telemetry === undefined ? llm : tracedLlm(llm, telemetry),
    ...(options.admin === undefined ? {} : { admin: options.admin }),
    ...(options.synthetic === undefined ? {} : { synthetic: options.synthetic }),
    ...(options.corpora === undefined ? {} : { corpora: options.corpora }),
    ...(options.approvalTtlMs === undefined ? {} : { approvalTtlMs: options.approvalTtlMs }),
  };
  return new ExecutionEngineFactory<ApexServices>({
    agents: registerApexAgents(new Registry<Agent<ApexServices>>("agent")),
    tools: registerApexTools(new Registry<AnyTool<ApexServices>>("tool")),
    sink: options.sink,
    services,
    ...(options.maxConcurrentRunsPerUser === undefined ? {} : { maxConcurrentRunsPerUser: options.maxConcurrentRunsPerUser }),
    ...(options.interrupts === undefined ? {} : { interrupts: options.interrupts }),
    ...(options.onToolDenied === undefined ? {} : { onToolDenied: options.onToolDenied }),
    ...(telemetry === undefined ? {} : { instrumentation: telemetry.tracing }),
  });
}
