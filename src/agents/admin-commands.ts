import { CatalogScope, type CatalogEntry, type CatalogLookup, type CatalogVersionSummary } from "../protocol/catalog.ts";
import { ApexError } from "../protocol/errors.ts";
import { Decision, ErrorCode, InterruptKind, Role, ToolName } from "../protocol/names.ts";
import type { AgentInput, AgentResult } from "../runtime/agent.ts";
import type { ApexServices } from "../tools/services.ts";
import type { AdminUserView, ApiKeysReset } from "../tools/user-administration.ts";
import { ADMIN_OPS, commandOfReading, LlmAdminReadingSchema, PRICE_FIELDS, type AdminCommand, type PriceField } from "./admin-request.ts";
import { readStructured } from "./llm-fallback.ts";
import { plural } from "./money.ts";
import { approvalTtl, finish } from "./plain-report.ts";

// The Corpus Admin's administration commands: catalog lookups and price edits, and account actions, each through the
// one tool dispatcher (which refuses a non-admin and audits it). Changes that cannot be undone by asking again (a price
// edit, a role change, disabling, revoking keys) are asked first; a non-admin's call goes straight to the refusal.

type Input = AgentInput<ApexServices>;
type Command<Op extends AdminCommand["op"]> = Extract<AdminCommand, { op: Op }>;

const FIELD_WORDS: Readonly<Record<PriceField, string>> = {
  input_per_mtok: "input",
  output_per_mtok: "output",
  cache_read_per_mtok: "cache read",
  cache_write_per_mtok: "cache write",
};
/** Errors the user can act on: said in the report, and the run completes. */
const ANSWERABLE: ReadonlySet<string> = new Set([ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.LAST_ADMIN, ErrorCode.INVALID_PARAMETERS]);


const perMtok = (price: number | undefined) => (price === undefined ? "not set" : `$${price} per million tokens`);

/** Calls a tool; an answerable refusal becomes the run's report instead of failing the run. */
async function attempt<R>(input: Input, what: string, call: () => Promise<R>, done: (result: R) => string): Promise<AgentResult> {
  try {
    return await finish(input, done(await call()));
  } catch (error) {
    if (!(error instanceof ApexError) || !ANSWERABLE.has(error.code)) throw error;
    if (error.code === ErrorCode.FORBIDDEN) {
      return finish(input, `Only an administrator can ${what}, and your account is not one: ask an administrator to do it.`);
    }
    return finish(input, `Could not ${what}: ${error.message}`);
  }
}

/** Asks approve / decline for an admin; a non-admin is not asked (the dispatcher refuses the call). */
async function approved(input: Input, prompt: string, kept: string): Promise<AgentResult | null> {
  if (!input.context.isAdmin) return null;
  const answer = await input.ask({ kind: InterruptKind.APPROVAL, prompt, options: [Decision.APPROVE, Decision.DECLINE], expiresInMs: approvalTtl(input.services) });
  if (answer === null) return finish(input, `The question expired before you answered; ${kept}.`);
  return answer.decision === Decision.APPROVE ? null : finish(input, `You declined; ${kept}.`);
}

function describeEntry(model: string, found: CatalogLookup): string {
  const { entry } = found;
  if (entry === null) return `The catalog has no model named "${model}".`;
  const cache = entry.cache_read_per_mtok === undefined ? "" : `, cache read ${perMtok(entry.cache_read_per_mtok)}`;
  const window = entry.context_window === undefined ? "" : ` Context window: ${entry.context_window.toLocaleString("en-US")} tokens.`;
  const substitutes = entry.substitutes.length === 0 ? "" : ` Safe substitutes: ${entry.substitutes.map((s) => `${s.model} (${s.for.join(", ")})`).join("; ")}.`;
  return `${entry.model} (${entry.provider}, from the ${found.source ?? "catalog"} catalog) costs input ${perMtok(entry.input_per_mtok)}, ` +
    `output ${perMtok(entry.output_per_mtok)}${cache}.${window}${substitutes}`;
}

async function editPrice(input: Input, command: Command<"catalog_price">): Promise<AgentResult> {
  const field = FIELD_WORDS[command.field];
  if (command.reason === null) {
    return finish(input, `A catalog change needs a reason: say why, e.g. "set the ${field} price of ${command.model} to ${command.price} per million tokens because the provider cut it".`);
  }
  const found = await input.tools.call<CatalogLookup>(ToolName.CATALOG_LOOKUP, { model: command.model });
  if (found.entry === null) return finish(input, `The catalog has no model named "${command.model}"; add it from the catalog page with its provider and prices.`);
  const before = found.entry[command.field];
  const change = `the ${field} price of ${found.entry.model} from ${perMtok(before)} to ${perMtok(command.price)} in the global catalog (reason: ${command.reason})`;
  const refused = await approved(input, `Change ${change}?`, "the catalog was not changed");
  if (refused !== null) return refused;
  const entry: CatalogEntry = { ...found.entry, [command.field]: command.price };
  const edit = { scope: CatalogScope.GLOBAL, changes: { set: [entry], remove: [] }, reason: command.reason };
  return attempt(input, "change the catalog", () => input.tools.call<CatalogVersionSummary>(ToolName.CATALOG_UPDATE, edit),
    (version) => `Changed ${change}: global catalog version ${version.version}. New analyses price with it; earlier reports keep theirs.`);
}

function describeUsers(users: readonly AdminUserView[]): string {
  const lines = users.map((u) => `${u.email} (${u.role}, ${u.tier}${u.disabled ? ", disabled" : ""})`);
  return `${plural(users.length, "account")}: ${lines.join("; ")}.`;
}

function describeChange(command: Command<"update_user">): { words: string; asks: boolean } {
  const { role, tier, disabled } = command.change;
  const parts = [
    role === undefined ? "" : `make ${command.user} ${role === Role.ADMIN ? "an" : "a"} ${role}`,
    tier === undefined ? "" : `move ${command.user} to the ${tier} tier`,
    disabled === undefined ? "" : `${disabled ? "disable" : "enable"} ${command.user}`,
  ].filter((p) => p !== "");
  // A role change or disabling locks someone in or out: asked first. A tier or re-enabling is undone as easily.
  return { words: parts.join(" and "), asks: role !== undefined || disabled === true };
}

async function updateUser(input: Input, command: Command<"update_user">): Promise<AgentResult> {
  const { words, asks } = describeChange(command);
  if (asks) {
    const refused = await approved(input, `${words[0]?.toUpperCase()}${words.slice(1)}?`, `${command.user} was not changed`);
    if (refused !== null) return refused;
  }
  return attempt(input, words, () => input.tools.call<{ user: AdminUserView }>(ToolName.UPDATE_USER, { user: command.user, ...command.change }),
    ({ user }) => `Done: ${user.email} is now ${user.role === Role.ADMIN ? "an" : "a"} ${user.role} on the ${user.tier} tier${user.disabled ? ", disabled" : ""}.`);
}

async function resetKeys(input: Input, command: Command<"reset_api_keys">): Promise<AgentResult> {
  const words = `reset the API keys of ${command.user}`;
  const refused = await approved(input, `Revoke every API key of ${command.user}? Their scripts stop working until they create new keys.`, "no key was revoked");
  if (refused !== null) return refused;
  return attempt(input, words, () => input.tools.call<ApiKeysReset>(ToolName.RESET_API_KEYS, { user: command.user }),
    (reset) => `Revoked ${plural(reset.revoked, "API key")} of ${command.user}; they create new ones from their account page.`);
}

/** The rules' command, or the LLM's reading of the same kind of command when one is configured and it is complete. */
export async function readAdminRequest(input: Input, rules: AdminCommand): Promise<AdminCommand> {
  const reading = await readStructured(
    { llm: input.services.llm, think: input.think, signal: input.signal },
    {
      task: "read your administration request",
      system:
        `Read an administration request. op: one of ${ADMIN_OPS.join(", ")}. model: the model named, as written. ` +
        `price_field: one of ${PRICE_FIELDS.join(", ")}; price_per_mtok: the new price in USD per million tokens. ` +
        "reason: the user's own words for why, null when they give none. user: the account's email or id, as written. " +
        "role, tier, disabled: the account change asked for. Null for anything the request does not say.",
      text: input.request,
      output: { name: "admin_request", schema: LlmAdminReadingSchema },
    },
  );
  if (reading === undefined) return rules;
  // The rules decided which command this run is (and routed it here); the model only reads its details.
  const command = reading.op === rules.op ? commandOfReading(reading, input.request) : null;
  if (command === null) await input.think("The model's reading is not the command the rules read, or is incomplete; keeping the rules' reading.");
  return command ?? rules;
}

export async function runAdminCommand(input: Input, command: AdminCommand): Promise<AgentResult> {
  switch (command.op) {
    case "catalog_lookup": {
      const found = await input.tools.call<CatalogLookup>(ToolName.CATALOG_LOOKUP, { model: command.model });
      return finish(input, describeEntry(command.model, found));
    }
    case "catalog_price":
      return editPrice(input, command);
    case "list_users":
      return attempt(input, "list the users", () => input.tools.call<{ users: AdminUserView[] }>(ToolName.LIST_USERS, {}), ({ users }) => describeUsers(users));
    case "update_user":
      return updateUser(input, command);
    case "reset_api_keys":
      return resetKeys(input, command);
  }
}
