import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OpportunityKind, type OpportunityKindName } from "../protocol/names.ts";
import { needsApproval, SCENARIOS, WorkloadProfileSchema, type WorkloadProfile } from "../tools/synthetic-jobs.ts";
import { classifyIntent } from "./intent-rules.ts";
import { Intent } from "./intent.ts";
import { describeProfile, readProfile } from "./synthetic-request.ts";

const KINDS = Object.values(OpportunityKind) as OpportunityKindName[];
const NO_SIGNALS = { models: 0, hasEntities: false };

describe("reading a synthetic data request", () => {
  it("reads the issue's example into a large saas job with both caching kinds", () => {
    const profile = readProfile("generate 200k records of a support-chat workload with caching waste", 7, "fallback");
    expect(profile).toEqual({
      records: 200_000,
      scenario: "saas",
      waste: [OpportunityKind.PROMPT_CACHING, OpportunityKind.RESPONSE_CACHING],
      days: 30,
      corpus: "fallback",
      seed: 7,
      confirm: false,
    });
    expect(needsApproval(profile)).toBe(true);
  });

  it("reads sizes, periods, names, seeds, scenarios and a wish to confirm", () => {
    const p = readProfile('Please make 2,500 records of a devtools workload over 2 weeks with retry waste into dataset "batchy-1", seed 42 — ask me to confirm', 1, "x");
    expect(p).toEqual({ records: 2500, scenario: "devtools", waste: [OpportunityKind.RETRY_WASTE], days: 14, corpus: "batchy-1", seed: 42, confirm: true });
    expect(needsApproval(p)).toBe(true);
    expect(readProfile("generate 1.5m rows of clean data for a month", 1, "x")).toMatchObject({ records: 1_000_000, scenario: "clean", waste: [], days: 30 });
    expect(readProfile("generate 30k records with no waste", 1, "x")).toMatchObject({ records: 30_000, scenario: "saas", waste: [], confirm: false });
    expect(needsApproval(readProfile("generate 30k records", 1, "x"))).toBe(false);
  });

  it("writes any profile as a request that reads back to it", () => {
    const profiles = fc.record({
      records: fc.integer({ min: 1, max: 1_000_000 }),
      scenario: fc.constantFrom(...SCENARIOS),
      waste: fc.option(fc.uniqueArray(fc.constantFrom(...KINDS)), { nil: null }),
      days: fc.integer({ min: 1, max: 365 }),
      corpus: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
      seed: fc.integer({ min: 0, max: 2 ** 31 }),
      confirm: fc.boolean(),
    });
    fc.assert(
      fc.property(profiles, (drawn) => {
        const ordered = drawn.waste === null ? null : KINDS.filter((k) => drawn.waste?.includes(k));
        const profile: WorkloadProfile = WorkloadProfileSchema.parse({ ...drawn, waste: drawn.scenario === "clean" ? [] : ordered });
        const text = describeProfile(profile);
        expect(readProfile(text, 0, "other")).toEqual(profile);
        expect(classifyIntent(text, NO_SIGNALS).intent).toBe(Intent.GENERATE_DATA);
      }),
    );
  });

  it("sends generate requests to Synthetic Data and leaves other requests alone", () => {
    for (const text of ["generate 200k records of a support-chat workload with caching waste", "create a synthetic dataset for testing", "make me a new devtools workload"]) {
      expect(classifyIntent(text, NO_SIGNALS).intent, text).toBe(Intent.GENERATE_DATA);
    }
    for (const text of ["where can I save money?", "delete my dataset demo", "how many records did I upload last week?", "generate a report of my spend"]) {
      expect(classifyIntent(text, NO_SIGNALS).intent, text).not.toBe(Intent.GENERATE_DATA);
    }
  });
});
