import { describe, expect, it } from "vitest";
import { UsageRecordSchema, type PricedUsageRecord } from "./record.ts";
import { USAGE_COLUMNS, USAGE_TABLE_DDL, usageRow } from "./usage-queries.ts";

// The table must hold every canonical field: a field added to the record without a column fails here.

const COLUMN_OF_FIELD: Record<string, string> = { timestamp: "ts" };
const names = USAGE_COLUMNS.map(([name]) => name);

const full: PricedUsageRecord = {
  id: "r1", timestamp: "2025-01-01T00:00:00+01:00", model: "gpt-4o", provider: "openai", input_tokens: 10,
  output_tokens: 5, cache_read_tokens: 4, cache_write_tokens: 3, reasoning_tokens: 2, cost_usd: 0.5, duration_ms: 120,
  ttft_ms: 30, status: "error", error_type: "timeout", finish_reason: "length", max_tokens: 64, temperature: 0.2,
  stream: true, service_tier: "batch", operation: "chat", user_id: "u", session_id: "s", trace_id: "t", feature: "f",
  environment: "prod", project: "p", api_key_id: "k", tags: ["x", "y"], request_hash: "rh", prefix_hash: "ph",
  prefix_tokens: 6, num_requests: 3, computed_cost_usd: 0.25, cost_mismatch: true,
};

describe("usage table", () => {
  it("has a column for every canonical field, plus owner, corpus and the priced fields", () => {
    const fields = Object.keys(UsageRecordSchema.shape).map((f) => COLUMN_OF_FIELD[f] ?? f);
    expect([...names].sort()).toEqual([...fields, "owner", "corpus", "computed_cost_usd", "cost_mismatch"].sort());
    expect(new Set(names).size).toBe(names.length);
  });

  it("lays a record out in column order", () => {
    const row = usageRow("alice", "prod", full);
    expect(row).toHaveLength(names.length);
    const byName = Object.fromEntries(names.map((n, i) => [n, row[i]]));
    const { timestamp, ...rest } = full;
    expect(byName).toEqual({ ...rest, ts: timestamp, owner: "alice", corpus: "prod" });
  });

  it("stores absent optional fields as NULL, never as zero", () => {
    const row = usageRow("alice", "prod", {
      id: "r2", timestamp: "2025-01-01T00:00:00Z", model: "m", input_tokens: 0, output_tokens: 0, status: "success",
      num_requests: 1, computed_cost_usd: null, cost_mismatch: false,
    });
    const byName = Object.fromEntries(names.map((n, i) => [n, row[i]]));
    for (const column of ["cost_usd", "computed_cost_usd", "cache_read_tokens", "temperature", "tags", "stream"]) {
      expect(byName[column]).toBeNull();
    }
  });

  it("keys the table on (owner, id)", () => {
    expect(USAGE_TABLE_DDL).toMatch(/PRIMARY KEY \(owner, id\)\)$/);
  });
});
