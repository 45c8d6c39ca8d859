import { z } from "zod";
import { Role, Tier, type RoleName, type TierName } from "../protocol/names.ts";

// Reading an administration request from chat, by rules: a catalog lookup or price edit, or an account action (list,
// role, tier, disable / enable, reset API keys). Model names and emails are kept as written. An LLM's flat reading
// (LlmAdminReadingSchema) is turned into the same command, its words checked against the request.

/** The catalog prices a chat edit may set (USD per million tokens). */
export const PRICE_FIELDS = ["input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok"] as const;
export type PriceField = (typeof PRICE_FIELDS)[number];

export const ADMIN_OPS = ["catalog_lookup", "catalog_price", "list_users", "update_user", "reset_api_keys"] as const;

export type AdminCommand =
  | { op: "catalog_lookup"; model: string }
  | { op: "catalog_price"; model: string; field: PriceField; price: number; reason: string | null }
  | { op: "list_users" }
  | { op: "update_user"; user: string; change: { role?: RoleName; tier?: TierName; disabled?: boolean } }
  | { op: "reset_api_keys"; user: string };

const MODEL = String.raw`["'\x60]?([A-Za-z0-9][A-Za-z0-9._:/-]*[A-Za-z0-9])["'\x60]?`;
const USER = String.raw`["'\x60]?([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})["'\x60]?`;
const FIELD_WORDS: Readonly<Record<string, PriceField>> = { input: "input_per_mtok", output: "output_per_mtok", "cache read": "cache_read_per_mtok", "cache write": "cache_write_per_mtok" };

const PRICE_EDIT = new RegExp(
  String.raw`\b(?:set|change|update|lower|raise|make)\s+(?:the\s+)?(input|output|cache[ -]read|cache[ -]write)\s+(?:token\s+)?price\s+(?:of|for)\s+${MODEL}\s+(?:in the catalog\s+)?(?:to|=)\s+\$?(\d+(?:\.\d+)?)`,
  "i",
);
const REASON_WORD = /\b(?:because|since|due to|reason:?)\s+/gi;
const LOOKUPS = [
  new RegExp(String.raw`\bcatalog\s+(?:entry|entries|prices?|row)\s+(?:for|of)\s+${MODEL}`, "i"),
  new RegExp(String.raw`\bwhat\s+(?:does|do)\s+${MODEL}\s+cost\b[^?]{0,200}\bcatalog\b`, "i"),
  new RegExp(String.raw`\b(?:look\s+up|prices?\s+(?:of|for))\s+${MODEL}\s+in\s+the\s+catalog\b`, "i"),
];
// "show me the users who spent most" is an analysis: showing users is a command only when nothing follows.
const LIST_USERS = /\blist\s+(?:all\s+)?(?:the\s+)?(?:users|accounts)\b|\bshow(?:\s+me)?\s+(?:all\s+)?(?:the\s+)?(?:users|accounts)\s*(?:[.?!]+\s*)?$/i;
const ROLE = new RegExp(String.raw`\bmake\s+${USER}\s+(?:an?\s+)?(admin|administrator|(?:regular\s+|normal\s+)?user)\b`, "i");
const TIER = new RegExp(String.raw`\b(?:move|set|put|change|switch|upgrade|downgrade)\s+${USER}\s+(?:to|on|onto|into)\s+(?:the\s+)?(${Object.values(Tier).join("|")})\b`, "i");
const DISABLE = new RegExp(String.raw`\b(disable|deactivate|suspend|enable|reactivate)\s+(?:the\s+)?(?:account\s+(?:of\s+)?|user\s+)?${USER}`, "i");
const RESET_KEYS = new RegExp(
  String.raw`\b(?:reset|revoke)\s+(?:all\s+)?(?:the\s+)?(?:api\s+)?keys\s+(?:of|for)\s+${USER}|\b(?:reset|revoke)\s+${USER}'s\s+(?:api\s+)?keys\b`,
  "i",
);

/**
 * The words after "because" (or since, due to, reason:) to the end, without the closing punctuation, on one line.
 * Done by hand: a lazy regex up to a trailing `[.!\s]*$` is quadratic on long text.
 */
function reasonOf(text: string): string | null {
  let end = text.length;
  while (end > 0 && /[.!\s]/.test(text[end - 1] ?? "")) end -= 1;
  const lastBreak = text.lastIndexOf("\n", end - 1);
  for (const found of text.matchAll(REASON_WORD)) {
    const start = found.index + found[0].length;
    if (start >= end) return null;
    if (start > lastBreak) return text.slice(start, end);
  }
  return null;
}

function readPriceEdit(text: string): AdminCommand | null {
  const edit = PRICE_EDIT.exec(text);
  if (edit?.[1] === undefined || edit[2] === undefined) return null;
  const field = FIELD_WORDS[edit[1].toLowerCase().replace("-", " ")] ?? "input_per_mtok";
  return { op: "catalog_price", model: edit[2], field, price: Number(edit[3]), reason: reasonOf(text) };
}

function readAccountAction(text: string): AdminCommand | null {
  const role = ROLE.exec(text);
  if (role?.[1] !== undefined && role[2] !== undefined) return { op: "update_user", user: role[1], change: { role: /^admin/i.test(role[2]) ? Role.ADMIN : Role.USER } };
  const tier = TIER.exec(text);
  const tierName = Object.values(Tier).find((t) => t === tier?.[2]?.toLowerCase());
  if (tier?.[1] !== undefined && tierName !== undefined) return { op: "update_user", user: tier[1], change: { tier: tierName } };
  const disable = DISABLE.exec(text);
  if (disable?.[1] !== undefined && disable[2] !== undefined) return { op: "update_user", user: disable[2], change: { disabled: !/^(?:enable|reactivate)$/i.test(disable[1]) } };
  const reset = RESET_KEYS.exec(text);
  const resetUser = reset?.[1] ?? reset?.[2];
  return resetUser === undefined ? null : { op: "reset_api_keys", user: resetUser };
}

export function readAdminCommand(text: string): AdminCommand | null {
  const edit = readPriceEdit(text);
  if (edit !== null) return edit;
  for (const pattern of LOOKUPS) {
    const model = pattern.exec(text)?.[1];
    if (model !== undefined) return { op: "catalog_lookup", model };
  }
  if (LIST_USERS.test(text)) return { op: "list_users" };
  return readAccountAction(text);
}

/** What an LLM is asked for: the command as flat fields (null when the request does not say). */
export const LlmAdminReadingSchema = z.object({
  op: z.enum(ADMIN_OPS),
  model: z.string().nullable(),
  price_field: z.enum(PRICE_FIELDS).nullable(),
  price_per_mtok: z.number().nonnegative().finite().nullable(),
  reason: z.string().nullable(),
  user: z.string().nullable(),
  role: z.enum([Role.USER, Role.ADMIN]).nullable(),
  tier: z.enum(Tier).nullable(),
  disabled: z.boolean().nullable(),
});
export type LlmAdminReading = z.infer<typeof LlmAdminReadingSchema>;

/**
 * An LLM's reading as a command; null when it is incomplete. The account and the reason must be the request's own
 * words: a model must not pick another account, nor invent a reason the user did not give.
 */
export function commandOfReading(reading: LlmAdminReading, text: string): AdminCommand | null {
  const said = (words: string | null): words is string => words !== null && words.trim() !== "" && text.toLowerCase().includes(words.trim().toLowerCase());
  const { op, model, price_field: field, price_per_mtok: price, user } = reading;
  if (op === "list_users") return { op };
  if (op === "catalog_lookup") return model === null ? null : { op, model };
  if (op === "catalog_price") {
    if (model === null || field === null || price === null) return null;
    return { op, model, field, price, reason: said(reading.reason) ? reading.reason.trim() : null };
  }
  if (!said(user)) return null;
  if (op === "reset_api_keys") return { op, user: user.trim() };
  const change = {
    ...(reading.role === null ? {} : { role: reading.role }),
    ...(reading.tier === null ? {} : { tier: reading.tier }),
    ...(reading.disabled === null ? {} : { disabled: reading.disabled }),
  };
  return Object.keys(change).length === 0 ? null : { op, user: user.trim(), change };
}
