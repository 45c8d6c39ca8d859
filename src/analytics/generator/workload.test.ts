import { describe, expect, it } from "vitest";
import { isApexError } from "../../protocol/errors.ts";
import { ErrorCode, OpportunityKind, type OpportunityKindName } from "../../protocol/names.ts";
import { type UsageRecord, UsageRecordSchema } from "../record.ts";
import { type AnswerKey, AnswerKeySchema, type PlantedOpportunity } from "./answer-key.ts";
import { localClock } from "./arrival-clock.ts";
import { LOCAL_UTC_OFFSET_HOURS, NIGHT_HOURS } from "./saas-scenario.ts";
import { CHAT_SUMMARY_TOKENS, CHAT_SYSTEM_TOKENS } from "./support-chat.ts";
import { generateWorkload, type GenerateOptions } from "./workload.ts";

// A price table written for this test (published list prices, USD per token), independent of src/pricing, with a
// priority multiplier of 2 so that the key visibly follows the function it is given.
const TABLE: Record<string, { input: number; cacheRead: number; cacheWrite: number; output: number }> = {
  "gpt-4o": { input: 2.5e-6, cacheRead: 1.25e-6, cacheWrite: 2.5e-6, output: 10e-6 },
  "gpt-4o-2024-08-06": { input: 2.5e-6, cacheRead: 1.25e-6, cacheWrite: 2.5e-6, output: 10e-6 },
  "gpt-4.1-nano": { input: 0.1e-6, cacheRead: 0.025e-6, cacheWrite: 0.1e-6, output: 0.4e-6 },
  "gpt-4.1": { input: 2e-6, cacheRead: 0.5e-6, cacheWrite: 2e-6, output: 8e-6 },
  "gpt-5-mini": { input: 0.25e-6, cacheRead: 0.025e-6, cacheWrite: 0.25e-6, output: 2e-6 },
  "claude-sonnet-4-20250514": { input: 3e-6, cacheRead: 0.3e-6, cacheWrite: 3.75e-6, output: 15e-6 },
  "gemini-2.5-flash": { input: 0.3e-6, cacheRead: 0.03e-6, cacheWrite: 0.3e-6, output: 2.5e-6 },
};
const TIER: Record<string, number> = { standard: 1, batch: 0.5, flex: 0.5, priority: 2 };

function testPrice(record: UsageRecord): number | null {
  const p = TABLE[record.model];
  if (p === undefined) return null;
  const read = record.cache_read_tokens ?? 0;
  const write = record.cache_write_tokens ?? 0;
  const cost =
    (record.input_tokens - read - write) * p.input + read * p.cacheRead + write * p.cacheWrite + record.output_tokens * p.output;
  return cost * (TIER[record.service_tier ?? "standard"] ?? 1);
}

const cost = (record: UsageRecord): number => testPrice(record) ?? Number.NaN;

function generate(overrides: Partial<GenerateOptions> = {}): { records: UsageRecord[]; key: AnswerKey } {
  const workload = generateWorkload({ scenario: "saas", records: 30_000, days: 7, seed: 11, price: testPrice, ...overrides });
  const records = [...workload.records()];
  return { records, key: workload.answerKey() };
}

const saas = generate();
const clean = generate({ scenario: "clean" });
const byId = new Map(saas.records.map((r) => [r.id, r]));
const ms = (r: UsageRecord) => Date.parse(r.timestamp);
const end = (r: UsageRecord) => ms(r) + (r.duration_ms ?? 0);

function planted(kind: OpportunityKindName): { opportunity: PlantedOpportunity; records: UsageRecord[] } {
  const opportunity = saas.key.opportunities.find((o) => o.kind === kind);
  if (opportunity === undefined) throw new Error(`${kind} missing from the answer key`);
  const records = opportunity.record_ids.map((id) => byId.get(id));
  expect(records.every((r) => r !== undefined)).toBe(true);
  return { opportunity, records: records as UsageRecord[] };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Records whose prefix (>= 1,024 tokens) is billed uncached although the same prefix was used < 5 min before. */
function missedCacheHits(records: UsageRecord[]): UsageRecord[] {
  const lastUse = new Map<string, number>();
  const missed: UsageRecord[] = [];
  for (const r of records) {
    if (r.prefix_hash === undefined || (r.prefix_tokens ?? 0) < 1024) continue;
    const previous = lastUse.get(r.prefix_hash);
    const uncached = (r.cache_read_tokens ?? 0) === 0 && (r.cache_write_tokens ?? 0) === 0;
    if (uncached && previous !== undefined && ms(r) - previous <= 5 * 60_000) missed.push(r);
    lastUse.set(r.prefix_hash, ms(r));
  }
  return missed;
}

/**
 * Sessions re-sending their history: 4+ turns, each prompt at least the previous prompt plus the previous answer,
 * the last at least twice the first.
 */
function growingSessions(records: UsageRecord[]): Map<string, UsageRecord[]> {
  const sessions = new Map<string, UsageRecord[]>();
  for (const r of records) {
    if (r.session_id === undefined || r.finish_reason === "length") continue;
    sessions.set(r.session_id, [...(sessions.get(r.session_id) ?? []), r]);
  }
  return new Map(
    [...sessions].filter(([, turns]) => {
      const resent = turns.every((t, i) => {
        const previous = turns[i - 1];
        return previous === undefined || t.input_tokens >= previous.input_tokens + previous.output_tokens;
      });
      const first = turns[0]?.input_tokens ?? 0;
      return turns.length >= 4 && resent && (turns.at(-1)?.input_tokens ?? 0) >= 2 * first;
    }),
  );
}

describe("generateWorkload", () => {
  it("is deterministic: same seed, same bytes; another seed, other records", () => {
    const again = generate();
    expect(JSON.stringify(again.records)).toBe(JSON.stringify(saas.records));
    expect(JSON.stringify(again.key)).toBe(JSON.stringify(saas.key));
    const other = generate({ seed: 12 });
    expect(JSON.stringify(other.records)).not.toBe(JSON.stringify(saas.records));
  });

  it("writes exactly the requested number of valid canonical records, unique and in time order", () => {
    for (const { records } of [saas, clean]) {
      expect(records).toHaveLength(30_000);
      for (const r of records) expect(UsageRecordSchema.safeParse(r).success).toBe(true);
      expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
      expect(records.every((r, i) => i === 0 || ms(r) >= ms(records[i - 1] as UsageRecord))).toBe(true);
      const first = Date.parse("2026-01-05T00:00:00Z");
      expect(ms(records[0] as UsageRecord)).toBeGreaterThanOrEqual(first);
      // episodes started before the end may finish a few minutes after it
      expect(ms(records.at(-1) as UsageRecord)).toBeLessThan(first + 7 * 86_400_000 + 3_600_000);
    }
  });

  it("plants every opportunity kind in saas, with ids of real records", () => {
    expect(AnswerKeySchema.parse(JSON.parse(JSON.stringify(saas.key)))).toEqual(saas.key);
    expect(saas.key.opportunities.map((o) => o.kind).sort()).toEqual(Object.values(OpportunityKind).sort());
    for (const o of saas.key.opportunities) {
      expect(o.affected_records).toBeGreaterThan(10);
      expect(o.record_ids_complete).toBe(true);
      expect(o.record_ids).toHaveLength(o.affected_records);
      expect(o.unpriced_records).toBe(0);
      expect(o.true_monthly_savings_usd).toBeCloseTo(((o.observed_savings_usd ?? 0) * 30) / 7, 5);
    }
  });

  it("model_rightsizing: short classification answers on gpt-4o, the rest on gpt-4.1-nano", () => {
    const { opportunity, records } = planted(OpportunityKind.MODEL_RIGHTSIZING);
    expect(opportunity.scope).toEqual({ feature: "ticket_classification", model: "gpt-4o" });
    for (const r of records) {
      expect(r.model).toBe("gpt-4o");
      expect(r.tags).not.toContain("tools");
    }
    const outputs = records.map((r) => r.output_tokens).sort((a, b) => a - b);
    expect(outputs[Math.floor(outputs.length * 0.9)]).toBeLessThan(256);
    const ids = new Set(opportunity.record_ids);
    const others = saas.records.filter((r) => r.feature === "ticket_classification" && !ids.has(r.id));
    expect(others.every((r) => r.model === "gpt-4.1-nano")).toBe(true);
    const expected = sum(records.map((r) => cost(r) - cost({ ...r, model: "gpt-4.1-nano" })));
    expect(opportunity.observed_savings_usd).toBeCloseTo(expected, 5);
  });

  it("prompt_caching: long stable prefixes billed uncached, saved as reads or writes of the real cache state", () => {
    const { opportunity, records } = planted(OpportunityKind.PROMPT_CACHING);
    const ids = new Set(opportunity.record_ids);
    for (const r of records) {
      expect(r.provider).toBe("anthropic");
      expect(r.prefix_tokens ?? 0).toBeGreaterThanOrEqual(1024);
      expect(r.cache_read_tokens ?? 0).toBe(0);
      expect(r.cache_write_tokens ?? 0).toBe(0);
    }
    const missed = missedCacheHits(saas.records).filter((r) => r.feature === "kb_search");
    expect(missed.every((r) => ids.has(r.id))).toBe(true);
    // The rest fell in quiet hours, more than 5 minutes after the last call: fixed, they pay a cache write.
    expect(missed.length).toBeGreaterThan(0.5 * records.length);
    // Recompute from the records: fixed, a call reads the cache when any call sent its prefix within 5 minutes.
    const lastSent = new Map<string, number>();
    let expected = 0;
    for (const r of saas.records) {
      if (r.feature !== "kb_search" || r.prefix_hash === undefined) continue;
      const prefix = r.prefix_tokens ?? 0;
      const last = lastSent.get(r.prefix_hash);
      if (ids.has(r.id)) {
        const warm = last !== undefined && ms(r) - last <= 5 * 60_000;
        expected += cost(r) - cost(warm ? { ...r, cache_read_tokens: prefix } : { ...r, cache_write_tokens: prefix });
      }
      lastSent.set(r.prefix_hash, ms(r));
    }
    expect(opportunity.observed_savings_usd).toBeCloseTo(expected, 5);
  });

  it("response_caching: temperature-0 repeats of an answer completed successfully shortly before", () => {
    const { opportunity, records } = planted(OpportunityKind.RESPONSE_CACHING);
    const firstSeen = new Map<string, UsageRecord>();
    for (const r of saas.records) if (r.request_hash !== undefined && !firstSeen.has(r.request_hash)) firstSeen.set(r.request_hash, r);
    for (const r of records) {
      expect(r.temperature).toBe(0);
      const original = firstSeen.get(r.request_hash ?? "");
      expect(original?.id).not.toBe(r.id);
      expect(original?.status).toBe("success");
      expect(end(original as UsageRecord)).toBeLessThan(ms(r));
      expect(ms(r) - ms(original as UsageRecord)).toBeLessThanOrEqual(10 * 60_000 + 60_000);
      expect(r.input_tokens).toBe(original?.input_tokens);
    }
    expect(opportunity.observed_savings_usd).toBeCloseTo(sum(records.map(cost)), 5);
  });

  it("batch_api: night-time, non-streaming, user-less jobs at standard tier", () => {
    const { opportunity, records } = planted(OpportunityKind.BATCH_API);
    for (const r of records) {
      expect(r.service_tier).toBe("standard");
      expect(r.stream).toBe(false);
      expect(r.user_id).toBeUndefined();
      expect(r.tags).toContain("offline");
      // a job started in the last night hour may run a couple of minutes past it
      const hour = localClock(ms(r), LOCAL_UTC_OFFSET_HOURS).hour;
      expect(NIGHT_HOURS.includes(hour) || hour === Math.max(...NIGHT_HOURS) + 1).toBe(true);
    }
    expect(opportunity.observed_savings_usd).toBeCloseTo(0.5 * sum(records.map(cost)), 5);
  });

  it("priority_tier: offline traffic at priority tier", () => {
    const { opportunity, records } = planted(OpportunityKind.PRIORITY_TIER);
    for (const r of records) {
      expect(r.service_tier).toBe("priority");
      expect(r.user_id).toBeUndefined();
      expect(r.tags).toContain("offline");
    }
    expect(opportunity.observed_savings_usd).toBeCloseTo(sum(records.map(cost)) * (1 - 1 / 2), 5);
  });

  it("output_truncation: answers cut by max_tokens, then the same request re-sent", () => {
    const { opportunity, records } = planted(OpportunityKind.OUTPUT_TRUNCATION);
    for (const r of records) {
      expect(r.finish_reason).toBe("length");
      expect(r.output_tokens).toBe(r.max_tokens);
      const resend = saas.records.find((o) => o.request_hash === r.request_hash && o.id !== r.id);
      expect(resend?.finish_reason).toBe("stop");
      expect(ms(resend as UsageRecord)).toBeGreaterThan(end(r));
    }
    expect(opportunity.observed_savings_usd).toBeCloseTo(sum(records.map(cost)), 5);
  });

  it("retry_waste: failed calls that billed tokens, re-sent within 60 s", () => {
    const { opportunity, records } = planted(OpportunityKind.RETRY_WASTE);
    for (const r of records) {
      expect(r.status).toBe("error");
      expect(r.input_tokens).toBeGreaterThan(0);
      expect(cost(r)).toBeGreaterThan(0);
      const resend = saas.records.find((o) => o.request_hash === r.request_hash && o.id !== r.id);
      expect(resend?.status).toBe("success");
      expect(ms(resend as UsageRecord) - ms(r)).toBeLessThanOrEqual(60_000);
      expect(ms(resend as UsageRecord)).toBeGreaterThan(end(r));
    }
    expect(opportunity.observed_savings_usd).toBeCloseTo(sum(records.map(cost)), 5);
  });

  it("context_bloat: every turn after the first of the sessions whose input grows turn after turn", () => {
    const { opportunity, records } = planted(OpportunityKind.CONTEXT_BLOAT);
    const growing = growingSessions(saas.records);
    const ids = new Set(opportunity.record_ids);
    for (const r of records) expect(growing.has(r.session_id ?? "")).toBe(true);
    for (const turns of growing.values()) turns.slice(1).forEach((t) => expect(ids.has(t.id)).toBe(true));
    // Recompute: trimmed input = system prompt + running summary + the new message (input minus the history).
    let expected = 0;
    for (const turns of growing.values()) {
      turns.slice(1).forEach((t, i) => {
        const previous = turns[i] as UsageRecord;
        const message = t.input_tokens - previous.input_tokens - previous.output_tokens;
        expected += cost(t) - cost({ ...t, input_tokens: CHAT_SYSTEM_TOKENS + CHAT_SUMMARY_TOKENS + message, cache_read_tokens: 0 });
      });
    }
    expect(opportunity.observed_savings_usd).toBeCloseTo(expected, 5);
  });

  it("clean: the same traffic with none of the patterns and an empty answer key", () => {
    expect(clean.key.opportunities).toEqual([]);
    expect(new Set(clean.records.map((r) => r.feature))).toEqual(new Set(saas.records.map((r) => r.feature)));
    const records = clean.records;
    expect(records.some((r) => r.feature === "ticket_classification" && r.model !== "gpt-4.1-nano")).toBe(false);
    expect(missedCacheHits(records)).toEqual([]);
    expect(records.filter((r) => r.provider === "anthropic").every((r) => (r.cache_read_tokens ?? 0) + (r.cache_write_tokens ?? 0) > 0)).toBe(true);
    expect(new Set(records.map((r) => r.request_hash)).size).toBe(records.length);
    expect(records.some((r) => r.finish_reason === "length" || r.status !== "success")).toBe(false);
    expect(records.some((r) => r.service_tier === "priority")).toBe(false);
    expect(records.filter((r) => r.tags?.includes("offline")).every((r) => r.service_tier === "batch" || r.service_tier === "flex")).toBe(true);
    expect(growingSessions(records).size).toBe(0);
    expect(clean.key.totals.cost_usd).toBeLessThan(saas.key.totals.cost_usd);
  });

  it("rejects bad options with invalid_parameters and reads records once", () => {
    const bad: Partial<GenerateOptions>[] = [
      { records: 0 },
      { records: 1.5 },
      { days: 0 },
      { seed: -1 },
      { start: "not a date" },
      { scenario: "retail" as GenerateOptions["scenario"] },
      { wasteRates: { batch_api: 2 } },
      { wasteRates: { made_up: 0.1 } as GenerateOptions["wasteRates"] },
      { scenario: "clean", wasteRates: { batch_api: 0.5 } },
    ];
    for (const options of bad) {
      try {
        generateWorkload({ scenario: "saas", records: 10, days: 1, seed: 1, price: testPrice, ...options });
        expect.unreachable(`accepted ${JSON.stringify(options)}`);
      } catch (error) {
        expect(isApexError(error) && error.code).toBe(ErrorCode.INVALID_PARAMETERS);
      }
    }
    const workload = generateWorkload({ scenario: "saas", records: 50, days: 1, seed: 1, price: testPrice });
    expect(() => workload.answerKey()).toThrow(/Read every record/);
    expect([...workload.records()]).toHaveLength(50);
    expect(() => [...workload.records()]).toThrow(/read once/);
    expect(workload.answerKey().records).toBe(50);
  });

  it("honours custom waste rates, zero included", () => {
    const { key } = generate({ records: 5_000, wasteRates: { batch_api: 0, retry_waste: 0.5 } });
    expect(key.opportunities.some((o) => o.kind === OpportunityKind.BATCH_API)).toBe(false);
    expect(key.waste_rates.retry_waste).toBe(0.5);
    const retries = key.opportunities.find((o) => o.kind === OpportunityKind.RETRY_WASTE);
    expect(retries?.affected_records).toBeGreaterThan(100);
  });

  it("keeps unpriced records out of the savings and counts them", () => {
    const workload = generateWorkload({
      scenario: "saas",
      records: 3_000,
      days: 2,
      seed: 3,
      price: (r) => (r.model === "gpt-4o" ? null : testPrice(r)),
    });
    expect([...workload.records()]).toHaveLength(3_000);
    const key = workload.answerKey();
    const rightsizing = key.opportunities.find((o) => o.kind === OpportunityKind.MODEL_RIGHTSIZING);
    expect(rightsizing?.observed_savings_usd).toBeNull();
    expect(rightsizing?.unpriced_records).toBe(rightsizing?.affected_records);
    expect(key.totals.unpriced_records).toBe(rightsizing?.affected_records);
  });
});
