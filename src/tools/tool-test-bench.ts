import { openUsageStore } from "../analytics/open-usage-store.ts";
import type { PricedUsageRecord, UsageRecord } from "../analytics/record.ts";
import type { UsageStore } from "../analytics/store.ts";
import { createOfflineProvider } from "../llm/offline.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { UserExecutionContext } from "../runtime/context.ts";
import type { AnyTool } from "../runtime/tool.ts";
import type { ApexServices } from "./services.ts";

// What the tool tests run on: a real DuckDB store in memory, the bundled price book, and calls made with a real
// user context, exactly as the dispatcher would pass them (owner = the context's user id).

const T0 = Date.parse("2026-01-05T00:00:00Z");
const DAY_SECONDS = 86_400;

/** The ISO time `seconds` after T0. */
export const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

export interface ToolTestBench {
  book: PriceBook;
  store: UsageStore;
  /** Prices the records with the book (as ingest does) and stores them for `owner`. */
  insert(owner: string, records: readonly UsageRecord[]): Promise<void>;
  /** Runs a tool for `owner` with params parsed by its schema (defaults filled in). */
  run<R>(tool: AnyTool<ApexServices>, owner: string, params?: Record<string, unknown>): Promise<R>;
  close(): Promise<void>;
}

export async function openToolTestBench(): Promise<ToolTestBench> {
  const book = new PriceBook({ asOf: new Date(T0) });
  const store = await openUsageStore({ path: ":memory:" });
  const services: ApexServices = { usage: store, prices: book, llm: createOfflineProvider() };
  return {
    book,
    store,
    async insert(owner, records) {
      const priced: PricedUsageRecord[] = records.map((r) => {
        const p = book.price(r);
        return { ...r, computed_cost_usd: p.computed_cost_usd, cost_mismatch: p.cost_mismatch };
      });
      await store.insert(owner, "test", priced);
    },
    async run<R>(tool: AnyTool<ApexServices>, owner: string, params: Record<string, unknown> = {}) {
      const context = UserExecutionContext.create({ userId: owner, threadId: "thread-1", runId: "run-1" });
      const result = await tool.execute(tool.parameters.parse(params), {
        context: context.child(`tool:${tool.name}`),
        signal: context.signal,
        services,
        agentName: "test",
        toolCallId: "call-1",
      });
      return result as R;
    },
    close: () => store.close(),
  };
}

/** A canonical record with the defaults of a plain successful call. */
export function call(fields: Partial<UsageRecord> & Pick<UsageRecord, "id" | "timestamp" | "model">): UsageRecord {
  return { input_tokens: 0, output_tokens: 0, status: "success", num_requests: 1, ...fields };
}

/** Two calls of an unrelated interactive feature at T0 and T0 + 1 day: the observed period is exactly one day. */
export function oneDayPeriod(): UsageRecord[] {
  const base = { model: "gpt-4o", provider: "openai", feature: "period", user_id: "u-period", stream: true, input_tokens: 10, output_tokens: 500 };
  return [call({ ...base, id: "period-start", timestamp: at(0) }), call({ ...base, id: "period-end", timestamp: at(DAY_SECONDS) })];
}
