import { registerApexAgents } from "../agents/catalog.ts";
import type { UsageQueries } from "../analytics/store.ts";
import type { LlmConfig } from "../llm/config.ts";
import { createLlmProvider } from "../llm/create-provider.ts";
import type { PriceFn } from "../llm/provider.ts";
import type { PriceBook } from "../pricing/price-book.ts";
import type { Agent } from "../runtime/agent.ts";
import { ExecutionEngineFactory } from "../runtime/engine-factory.ts";
import type { EventSink } from "../runtime/event-sink.ts";
import { Registry } from "../runtime/registry.ts";
import type { AnyTool } from "../runtime/tool.ts";
import { registerApexTools } from "../tools/catalog.ts";
import type { ApexServices } from "../tools/services.ts";

// The one composition of the real Apex pipeline: the agents and tools of the catalogues, the configured LLM priced by
// the price book, over a usage store, behind one engine factory. `apex serve` and `apex analyze` both build it here.

export interface ApexPipelineOptions {
  usage: UsageQueries;
  prices: PriceBook;
  llm: LlmConfig;
  sink: EventSink;
  maxConcurrentRunsPerUser?: number;
}

function priceFnOf(book: PriceBook): PriceFn {
  return (model, usage) => book.price({ timestamp: new Date().toISOString(), model, ...usage }).computed_cost_usd;
}

export function createApexFactory(options: ApexPipelineOptions): ExecutionEngineFactory<ApexServices> {
  const services: ApexServices = {
    usage: options.usage,
    prices: options.prices,
    llm: createLlmProvider(options.llm, { price: priceFnOf(options.prices) }),
  };
  return new ExecutionEngineFactory<ApexServices>({
    agents: registerApexAgents(new Registry<Agent<ApexServices>>("agent")),
    tools: registerApexTools(new Registry<AnyTool<ApexServices>>("tool")),
    sink: options.sink,
    services,
    ...(options.maxConcurrentRunsPerUser === undefined ? {} : { maxConcurrentRunsPerUser: options.maxConcurrentRunsPerUser }),
  });
}
