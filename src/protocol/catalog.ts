import { z } from "zod";

// The supply catalog on the wire: the model entries admins add or override on top of the bundled price data, per scope
// (global, or one tenant), versioned. Shared by the server's REST answers, the chat tools and the admin UI.

/** Where a catalog version applies: everyone (`global`) or one account (`tenant`, stored under its user id). */
export const CatalogScope = { GLOBAL: "global", TENANT: "tenant" } as const;
export type CatalogScopeName = (typeof CatalogScope)[keyof typeof CatalogScope];

/** The source of an effective entry that no catalog version sets: the bundled price data. */
export const BUNDLED_CATALOG_SOURCE = "bundled";

/** How capable a model is, so a substitution can be judged at a glance (frontier → small). */
export const CapabilityTier = { FRONTIER: "frontier", STANDARD: "standard", SMALL: "small" } as const;
export type CapabilityTierName = (typeof CapabilityTier)[keyof typeof CapabilityTier];

/** The kinds of traffic a cheaper model may be declared safe for. */
export const TrafficKind = {
  CLASSIFICATION: "classification",
  EXTRACTION: "extraction",
  SHORT_ANSWER: "short_answer",
  SUMMARIZATION: "summarization",
  CHAT: "chat",
  CODE: "code",
  REASONING: "reasoning",
} as const;
export type TrafficKindName = (typeof TrafficKind)[keyof typeof TrafficKind];

/** Traffic of simple calls (short output, no tool calls): what model rightsizing moves. */
export const SIMPLE_TRAFFIC: readonly TrafficKindName[] = [TrafficKind.CLASSIFICATION, TrafficKind.EXTRACTION, TrafficKind.SHORT_ANSWER];

const price = z.number().nonnegative().finite();
const modelName = z.string().trim().min(1).max(200);

export const SubstituteSchema = z.object({
  model: modelName,
  for: z.array(z.enum(TrafficKind)).min(1),
});

/** One model of the catalog; prices in USD per million tokens. Cache prices default to the input price. */
export const CatalogEntrySchema = z.object({
  model: modelName,
  provider: z.string().trim().min(1).max(100),
  input_per_mtok: price,
  output_per_mtok: price,
  cache_read_per_mtok: price.optional(),
  cache_write_per_mtok: price.optional(),
  context_window: z.number().int().positive().optional(),
  capability_tier: z.enum(CapabilityTier).optional(),
  /** Cheaper models considered safe for some kinds of this model's traffic. */
  substitutes: z.array(SubstituteSchema).default([]),
});

/** A scope's whole catalog: one entry per model (compared case-insensitively). */
export const CatalogEntriesSchema = z
  .array(CatalogEntrySchema)
  .max(5000)
  .refine((entries) => new Set(entries.map((e) => e.model.toLowerCase())).size === entries.length, "each model may appear only once");

/** An edit of the latest version: entries to add or replace, and models to remove. */
export const CatalogChangesSchema = z.object({
  set: z.array(CatalogEntrySchema).default([]),
  remove: z.array(modelName).default([]),
});

const reason = z.string().trim().min(3).max(1000);
const tenantId = z.string().min(1).max(128).optional();

/**
 * A new version of one scope (admin): the whole catalog (`entries`) or an edit of the latest one (`changes`), always
 * with a reason. A tenant scope names its account in `user_id`.
 */
export const CatalogEditSchema = z
  .object({
    scope: z.enum(CatalogScope),
    user_id: tenantId,
    entries: CatalogEntriesSchema.optional(),
    changes: CatalogChangesSchema.optional(),
    reason,
  })
  .refine((edit) => (edit.entries === undefined) !== (edit.changes === undefined), "give either entries (the whole catalog) or changes, not both");

/** A rollback (admin): a new version of the scope copying the entries of `version`. */
export const CatalogRollbackSchema = z.object({
  scope: z.enum(CatalogScope),
  user_id: tenantId,
  version: z.number().int().nonnegative(),
  reason,
});

/** The versions a run priced with; version 0 is the bundled price data alone (no row). */
export const CatalogPinSchema = z.object({
  global_version: z.number().int().nonnegative(),
  tenant_version: z.number().int().nonnegative(),
});

export const CatalogVersionSummarySchema = z.object({
  scope: z.enum(CatalogScope),
  /** The tenant's user id; absent for the global scope. */
  user_id: z.string().optional(),
  version: z.number().int().nonnegative(),
  author_email: z.string(),
  reason: z.string(),
  created_at: z.string(),
  models: z.number().int().nonnegative(),
});

export const CatalogVersionSchema = CatalogVersionSummarySchema.extend({ entries: z.array(CatalogEntrySchema) });

export const FieldChangeSchema = z.object({ field: z.string(), before: z.unknown(), after: z.unknown() });

export const CatalogDiffSchema = z.object({
  added: z.array(CatalogEntrySchema),
  removed: z.array(CatalogEntrySchema),
  changed: z.array(z.object({ model: z.string(), fields: z.array(FieldChangeSchema) })),
});

/** Where an effective entry comes from: a catalog scope, or the bundled price data. */
export type CatalogSourceName = CatalogScopeName | typeof BUNDLED_CATALOG_SOURCE;

/**
 * One model as a catalog lookup answers it (the `catalog_lookup` tool and `GET /api/catalog/models/:model`): the
 * tenant's entry, else the global one, else the bundled prices; `found: false` when none has the model.
 */
export interface CatalogLookup {
  model: string;
  found: boolean;
  source: CatalogSourceName | null;
  entry: CatalogEntry | null;
  /** The catalog versions the lookup read; null when no catalog store is behind it (`apex analyze`). */
  catalog: CatalogPin | null;
}

export type CatalogEntry = z.infer<typeof CatalogEntrySchema>;
export type CatalogChanges = z.infer<typeof CatalogChangesSchema>;
export type CatalogEdit = z.infer<typeof CatalogEditSchema>;
export type CatalogRollback = z.infer<typeof CatalogRollbackSchema>;
export type CatalogPin = z.infer<typeof CatalogPinSchema>;
export type CatalogVersionSummary = z.infer<typeof CatalogVersionSummarySchema>;
export type CatalogVersion = z.infer<typeof CatalogVersionSchema>;
export type FieldChange = z.infer<typeof FieldChangeSchema>;
export type CatalogDiff = z.infer<typeof CatalogDiffSchema>;

const keyOf = (model: string) => model.trim().toLowerCase();

/** `base` with `changes` applied: removals first, then each set entry added or replacing the one of its model. */
export function applyCatalogChanges(base: readonly CatalogEntry[], changes: CatalogChanges): CatalogEntry[] {
  const byModel = new Map(base.map((entry) => [keyOf(entry.model), entry]));
  for (const model of changes.remove) byModel.delete(keyOf(model));
  for (const entry of changes.set) byModel.set(keyOf(entry.model), entry);
  return [...byModel.values()].sort((a, b) => a.model.localeCompare(b.model));
}

/** Entries of `lower` with those of `upper` on top (a tenant's catalog over the global one). */
export function layerCatalogs(lower: readonly CatalogEntry[], upper: readonly CatalogEntry[]): CatalogEntry[] {
  return applyCatalogChanges(lower, { set: [...upper], remove: [] });
}

const DIFF_FIELDS = Object.keys(CatalogEntrySchema.shape) as (keyof CatalogEntry)[];

/** What changed from `before` to `after`: entries added, removed, and changed field by field. */
export function diffCatalogs(before: readonly CatalogEntry[], after: readonly CatalogEntry[]): CatalogDiff {
  const old = new Map(before.map((entry) => [keyOf(entry.model), entry]));
  const now = new Map(after.map((entry) => [keyOf(entry.model), entry]));
  const diff: CatalogDiff = { added: [], removed: [], changed: [] };
  for (const [key, entry] of now) {
    const was = old.get(key);
    if (was === undefined) {
      diff.added.push(entry);
      continue;
    }
    const fields = DIFF_FIELDS.filter((field) => JSON.stringify(was[field]) !== JSON.stringify(entry[field])).map((field) => ({
      field,
      before: was[field],
      after: entry[field],
    }));
    if (fields.length > 0) diff.changed.push({ model: entry.model, fields });
  }
  for (const [key, entry] of old) if (!now.has(key)) diff.removed.push(entry);
  return diff;
}
