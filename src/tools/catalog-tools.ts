import { z } from "zod";
import { BUNDLED_CATALOG_SOURCE, CatalogEditSchema, type CatalogEntry, type CatalogLookup } from "../protocol/catalog.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Role, ToolName } from "../protocol/names.ts";
import type { ModelPrices } from "../pricing/model-prices.ts";
import { defineTool, type ToolCall } from "../runtime/tool.ts";
import type { ApexServices } from "./services.ts";

// The supply catalog from chat: everyone looks a model up (prices of the run's pinned catalog, and its substitutes);
// admins write a new version with a reason. The store behind it is the server's, reached through `CatalogAccess`
// (catalog-access.ts).

const PER_MTOK = 1e6;
const perMtok = (perToken: number) => Math.round(perToken * PER_MTOK * 1e6) / 1e6;

/** A price book entry as a catalog entry (prices per million tokens). */
export function entryOfPrices(prices: ModelPrices): CatalogEntry {
  return {
    model: prices.model,
    provider: prices.provider,
    input_per_mtok: perMtok(prices.rates.input),
    output_per_mtok: perMtok(prices.rates.output),
    ...(prices.has_cache_read_price ? { cache_read_per_mtok: perMtok(prices.rates.cache_read) } : {}),
    ...(prices.has_cache_write_price ? { cache_write_per_mtok: perMtok(prices.rates.cache_write) } : {}),
    ...(prices.context_window === undefined ? {} : { context_window: prices.context_window }),
    substitutes: [],
  };
}

/** `model` in the caller's catalog (the run's pinned versions), else in the bundled prices of `prices`. */
export async function lookupModel(services: Pick<ApexServices, "catalog" | "catalogPin" | "prices">, userId: string, model: string): Promise<CatalogLookup> {
  const { catalog, catalogPin, prices } = services;
  const pin = catalogPin ?? null;
  const match = await catalog?.lookup(userId, model, catalogPin);
  if (match !== undefined && match !== null) return { model, found: true, source: match.source, entry: match.entry, catalog: pin };
  const bundled = prices.lookup(model);
  if (bundled === undefined) return { model, found: false, source: null, entry: null, catalog: pin };
  return { model, found: true, source: BUNDLED_CATALOG_SOURCE, entry: entryOfPrices(bundled), catalog: pin };
}

export const catalogLookupTool = defineTool({
  name: ToolName.CATALOG_LOOKUP,
  description:
    "A model's effective prices (USD per million tokens), context window, capability tier and the cheaper models the " +
    "catalog declares safe for kinds of its traffic, as the catalog version this run uses has them.",
  parameters: z.object({ model: z.string().trim().min(1).max(200) }),
  execute: (params, call: ToolCall<ApexServices>) => lookupModel(call.services, call.context.userId, params.model),
});

export const catalogUpdateTool = defineTool({
  name: ToolName.CATALOG_UPDATE,
  description:
    "Admin only: writes a new version of the global or a tenant's catalog, either the whole list of entries or " +
    "changes (entries to set, models to remove), with the reason for the change. Audited.",
  parameters: CatalogEditSchema,
  roles: [Role.ADMIN],
  async execute(params, call: ToolCall<ApexServices>) {
    const catalog = call.services.catalog;
    if (catalog === undefined) {
      throw new ApexError(ErrorCode.INVALID_CONFIG, "The catalog can only be edited on an Apex server (apex serve), not from this command.");
    }
    return catalog.update(call.context.userId, params);
  },
});
