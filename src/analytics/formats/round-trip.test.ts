import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateWorkload } from "../generator/workload.ts";
import type { UsageRecord } from "../record.ts";
import { fixtureItems, fixturePath, readLines, written, type ReadResult } from "./fixtures/read-all.ts";
import type { FormatName } from "./format.ts";
import { sourceWriterFor, WRITABLE_FORMATS, type WriteContainer } from "./source-writer.ts";
import { sha256Hex } from "./stable-id.ts";

// Every writer against its own reader: records written in a format and read back (explicit format and auto) must
// come back equal on every field the format carries. `carried` says, per format, what a record becomes.

type Carried = (record: UsageRecord) => Partial<UsageRecord>;
type TokenField = "input_tokens" | "cache_read_tokens" | "cache_write_tokens" | "output_tokens" | "reasoning_tokens";

function pick<K extends keyof UsageRecord>(record: UsageRecord, ...keys: K[]): Pick<UsageRecord, K> {
  const out: Partial<UsageRecord> = {};
  for (const key of keys) if (record[key] !== undefined) Object.assign(out, { [key]: record[key] });
  return out as Pick<UsageRecord, K>;
}

const failed = (r: UsageRecord) => r.status === "error";
/** Writers whose times are ISO strings keep whole milliseconds. */
const wholeMs = (ms: number | undefined) => (ms === undefined ? undefined : Math.trunc(ms));
const hex = (id: string, digits: number) => (new RegExp(`^[0-9a-f]{${digits}}$`).test(id) ? id : sha256Hex(id).slice(0, digits));

const CARRIED: Readonly<Record<string, Carried>> = {
  canonical: (r) => r,
  openai: (r) => ({
    ...pick(r, "id", "model", "input_tokens", "output_tokens", "max_tokens", "temperature", "user_id", "service_tier"),
    timestamp: new Date(Math.floor(Date.parse(r.timestamp) / 1000) * 1000).toISOString(),
    provider: "openai",
    cache_read_tokens: r.cache_read_tokens ?? 0,
    reasoning_tokens: r.reasoning_tokens ?? 0,
    status: failed(r) ? "error" : "success",
    error_type: failed(r) ? (r.error_type ?? "failed") : undefined,
    finish_reason: failed(r)
      ? undefined
      : r.finish_reason === "length" || r.finish_reason === "content_filter"
        ? r.finish_reason
        : "stop",
    operation: "chat",
    num_requests: 1,
  }),
  anthropic: (r) => ({
    ...pick(r, "id", "timestamp", "model", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"),
    ...pick(r, "finish_reason", "service_tier"),
    provider: "anthropic",
    status: "success",
    operation: "chat",
    num_requests: 1,
  }),
  litellm: (r) => ({
    ...pick(r, "id", "timestamp", "model", "provider", "input_tokens", "output_tokens", "cache_read_tokens"),
    ...pick(r, "cache_write_tokens", "reasoning_tokens", "cost_usd", "operation", "user_id", "session_id"),
    ...pick(r, "api_key_id", "project"),
    duration_ms: wholeMs(r.duration_ms),
    ttft_ms: wholeMs(r.ttft_ms),
    status: r.status,
    error_type: failed(r) ? (r.error_type ?? "failure") : undefined,
    tags: r.tags !== undefined && r.tags.length > 0 ? r.tags : undefined,
    num_requests: 1,
  }),
  langfuse: (r) => ({
    ...pick(r, "id", "timestamp", "model", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"),
    ...pick(r, "reasoning_tokens", "cost_usd", "max_tokens", "temperature", "user_id", "session_id", "environment"),
    duration_ms: wholeMs(r.duration_ms),
    ttft_ms: wholeMs(r.ttft_ms),
    status: failed(r) ? "error" : "success",
    error_type: failed(r) ? (r.error_type ?? "error") : undefined,
    operation: "chat",
    trace_id: r.trace_id ?? r.id,
    num_requests: 1,
  }),
  helicone: (r) => {
    const http = /^http_(\d{3})$/.exec(r.error_type ?? "")?.[1];
    const properties: [string, string | undefined][] = [
      ["helicone-session-id", r.session_id],
      ["feature", r.feature],
      ["environment", r.environment],
    ];
    const tags = properties.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
    return {
      ...pick(r, "id", "timestamp", "model", "provider", "input_tokens", "output_tokens", "cache_read_tokens"),
      ...pick(r, "cache_write_tokens", "cost_usd", "duration_ms", "ttft_ms", "user_id", "session_id", "feature"),
      ...pick(r, "environment"),
      status: failed(r) ? "error" : "success",
      error_type: failed(r) ? `http_${http !== undefined && Number(http) >= 400 ? http : "500"}` : undefined,
      tags: tags.length > 0 ? tags : undefined,
      num_requests: 1,
    };
  },
  otel: (r) => ({
    ...pick(r, "timestamp", "model", "provider", "input_tokens", "output_tokens", "cache_read_tokens"),
    ...pick(r, "cache_write_tokens", "reasoning_tokens", "finish_reason", "max_tokens", "temperature", "operation"),
    ...pick(r, "session_id", "user_id", "environment"),
    id: hex(r.id, 16),
    trace_id: hex(r.trace_id ?? r.id, 32),
    duration_ms: r.duration_ms === undefined ? undefined : Math.round(r.duration_ms * 1e6) / 1e6,
    status: failed(r) ? "error" : "success",
    error_type: failed(r) ? (r.error_type ?? "error") : undefined,
    num_requests: 1,
  }),
};

/** Drop absent fields so toEqual compares what is there. */
function present(record: Partial<UsageRecord>): Partial<UsageRecord> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

async function writeAndRead(
  records: readonly UsageRecord[],
  format: FormatName,
  container: WriteContainer,
  read: FormatName | "auto",
): Promise<ReadResult> {
  const writer = sourceWriterFor(format, container);
  const text = writer.head + records.map((r) => writer.line(r)).join("");
  return readLines([text], { format: read });
}

const CONTAINERS: readonly [FormatName, WriteContainer][] = [
  ...WRITABLE_FORMATS.map((f): [FormatName, WriteContainer] => [f, "json-lines"]),
  ["canonical", "csv"],
  ["litellm", "csv"],
];

function expectCarried(format: FormatName, written: readonly UsageRecord[], result: ReadResult): void {
  const carried = CARRIED[format];
  if (carried === undefined) throw new Error(`no carried-fields rule for ${format}`);
  expect(result.rejected).toEqual([]);
  expect(result.records).toHaveLength(written.length);
  result.records.forEach((back, i) => {
    expect(present(back)).toEqual(present(carried(written[i] as UsageRecord)));
  });
}

describe("writers round-trip generated workloads", () => {
  const records = [...generateWorkload({ scenario: "saas", records: 3000, days: 2, seed: 11, price: () => 0.001 }).records()];

  it("covers every writable format, and only the per-call ones", () => {
    expect([...WRITABLE_FORMATS].sort()).toEqual(["anthropic", "canonical", "helicone", "langfuse", "litellm", "openai", "otel"]);
    expect(Object.keys(CARRIED).sort()).toEqual([...WRITABLE_FORMATS].sort());
  });

  for (const [format, container] of CONTAINERS) {
    for (const read of [format, "auto"] as const) {
      it(`${format} (${container}) read back as ${read}`, async () => {
        const result = await writeAndRead(records, format, container, read);
        expect(result.format).toBe(format);
        expectCarried(format, records, result);
      });
    }
  }

  it("keeps the token conversions exact on the generated mix (cache writes, cache reads, reasoning)", async () => {
    const cached = records.filter((r) => (r.cache_read_tokens ?? 0) > 0 && (r.cache_write_tokens ?? 0) === 0);
    const written = records.filter((r) => (r.cache_write_tokens ?? 0) > 0);
    const reasoning = records.filter((r) => (r.reasoning_tokens ?? 0) > 0);
    expect(Math.min(cached.length, written.length, reasoning.length)).toBeGreaterThan(0);
    for (const format of ["anthropic", "langfuse", "helicone", "otel", "litellm"] as const) {
      const back = (await writeAndRead([...cached, ...written, ...reasoning], format, "json-lines", "auto")).records;
      const all = [...cached, ...written, ...reasoning];
      const sum = (list: readonly UsageRecord[], key: TokenField) => list.reduce((total, r) => total + (r[key] ?? 0), 0);
      for (const key of ["input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens"] as const) {
        expect(sum(back, key)).toBe(sum(all, key));
      }
      if (format !== "anthropic" && format !== "helicone") {
        expect(sum(back, "reasoning_tokens")).toBe(sum(all, "reasoning_tokens"));
      }
    }
  });
});

const text = fc.string({ minLength: 1, maxLength: 24 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Valid canonical records: cached ≤ input, reasoning ≤ output, prefix ≤ input, whole-millisecond times. */
const canonicalRecord: fc.Arbitrary<UsageRecord> = fc
  .record({
    id: fc.oneof(text, fc.stringMatching(/^[0-9a-f]{16}$/)),
    timestamp: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }),
    model: text,
    provider: maybe(fc.constantFrom("openai", "anthropic", "google", "mistral")),
    input: fc.nat({ max: 2_000_000 }),
    readShare: maybe(fc.double({ min: 0, max: 1, noNaN: true })),
    writeShare: maybe(fc.double({ min: 0, max: 1, noNaN: true })),
    output_tokens: fc.nat({ max: 200_000 }),
    reasoningShare: maybe(fc.double({ min: 0, max: 1, noNaN: true })),
    cost_usd: maybe(fc.double({ min: 0, max: 1000, noNaN: true, noDefaultInfinity: true })),
    duration_ms: maybe(fc.nat({ max: 600_000 })),
    ttft_ms: maybe(fc.nat({ max: 60_000 })),
    status: fc.constantFrom("success", "error", "cache_hit"),
    error_type: maybe(fc.oneof(text, fc.constantFrom("http_429", "http_503", "rate_limit_exceeded"))),
    finish_reason: maybe(fc.constantFrom("stop", "length", "end_turn", "tool_calls", "content_filter")),
    max_tokens: maybe(fc.nat({ max: 100_000 })),
    temperature: maybe(fc.double({ min: 0, max: 2, noNaN: true })),
    stream: maybe(fc.boolean()),
    service_tier: maybe(fc.constantFrom("standard", "batch", "flex", "priority")),
    operation: maybe(fc.constantFrom("chat", "embeddings")),
    user_id: maybe(text),
    session_id: maybe(text),
    trace_id: maybe(fc.oneof(text, fc.stringMatching(/^[0-9a-f]{32}$/))),
    feature: maybe(text),
    environment: maybe(text),
    project: maybe(text),
    api_key_id: maybe(text),
    tags: maybe(fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 })),
    request_hash: maybe(text),
    prefix_hash: maybe(text),
    prefixShare: maybe(fc.double({ min: 0, max: 1, noNaN: true })),
    num_requests: fc.integer({ min: 1, max: 50 }),
  })
  .map(({ input, readShare, writeShare, reasoningShare, prefixShare, timestamp, ...rest }) => {
    const cache_read_tokens = readShare === undefined ? undefined : Math.floor(input * readShare);
    const room = input - (cache_read_tokens ?? 0);
    const share = (s: number | undefined, of: number) => (s === undefined ? undefined : Math.floor(of * s));
    const record = {
      ...rest,
      timestamp: timestamp.toISOString(),
      input_tokens: input,
      cache_read_tokens,
      cache_write_tokens: share(writeShare, room),
      reasoning_tokens: share(reasoningShare, rest.output_tokens),
      prefix_tokens: share(prefixShare, input),
      // -0 is not a count anyone writes, and toEqual tells it from 0.
      temperature: rest.temperature === undefined ? undefined : rest.temperature + 0,
      cost_usd: rest.cost_usd === undefined ? undefined : rest.cost_usd + 0,
    };
    return present(record) as UsageRecord;
  });

describe("writers round-trip any valid canonical record (property)", () => {
  for (const [format, container] of CONTAINERS) {
    it(`${format} (${container})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(canonicalRecord, { minLength: 1, maxLength: 8 }), async (records) => {
          expectCarried(format, records, await writeAndRead(records, format, container, format));
          expectCarried(format, records, await writeAndRead(records, format, container, "auto"));
        }),
        { numRuns: 60 },
      );
    });
  }
});

/** Every field path of a JSON value ("usage.input_tokens_details.cached_tokens"; array elements as "[]"). */
function fieldPaths(value: unknown, prefix = "", out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const element of value) fieldPaths(element, `${prefix}[]`, out);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      const path = prefix === "" ? key : `${prefix}.${key}`;
      out.add(path);
      fieldPaths(inner, path, out);
    }
  }
  return out;
}

/** Fields the writers emit that the fixtures' real samples lack, each from the provider's API reference. */
const DOCUMENTED_EXTRAS: Readonly<Record<string, readonly string[]>> = {
  openai: ["safety_identifier", "error.code", "error.message"], // Responses object
  helicone: ["properties.Feature"], // custom properties are stored without the Helicone-Property- prefix
  // The sample's failed row keeps its metadata as JSON text, so these paths are not seen in it.
  litellm: [
    "metadata.error_information",
    "metadata.error_information.error_class",
    "metadata.usage_object.cache_creation_input_tokens",
  ],
};

describe("writers emit the providers' own shapes", () => {
  const records = [...generateWorkload({ scenario: "saas", records: 1500, days: 1, seed: 5, price: () => 0.001 }).records()];
  const samples: readonly [FormatName, string][] = [
    ["openai", "openai.jsonl"],
    ["anthropic", "anthropic.jsonl"],
    ["langfuse", "langfuse.jsonl"],
    ["helicone", "helicone.jsonl"],
    ["otel", "otel.jsonl"],
    ["litellm", "litellm.json"],
  ];
  // Batch lines wrap the same object: compare what they wrap with the plain objects' fields.
  const unwrap = (path: string) => path.replace(/^(response\.body|result\.message)\./, "");

  it.each(samples)("%s: every field written is one the real samples in fixtures/ hold (or a documented one)", (format, file) => {
    const items = file.endsWith(".json") ? (JSON.parse(readFileSync(fixturePath(file), "utf8")) as unknown[]) : fixtureItems(file);
    const real = new Set<string>();
    for (const item of items) for (const path of fieldPaths(item)) real.add(unwrap(path));
    const extras = new Set(DOCUMENTED_EXTRAS[format] ?? []);
    const emitted = new Set<string>();
    for (const record of records) for (const path of fieldPaths(written(format, record))) emitted.add(unwrap(path));
    const unknown = [...emitted].filter((path) => !real.has(path) && !extras.has(path));
    expect(unknown).toEqual([]);
  });
});
