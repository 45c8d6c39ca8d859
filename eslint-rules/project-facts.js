// @ts-check
// The facts the lint rules check against, read from the sources that own them so the rules can never drift:
// the named values from src/protocol/names.ts (loaded through tsx, since Node 20 cannot import .ts) and the public
// members of MetadataStore from src/runtime/metadata.ts (parsed, so linting does not execute the runtime).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";
import ts from "typescript";

const ROOT = new URL("../", import.meta.url);

/** The architecture's contract for the store, used until src/runtime/metadata.ts exists. */
const DOCUMENTED_STORE_API = ["storeResult", "storeBatch", "get", "appendToList", "extendList", "incrementCounter", "propagate"];

/**
 * `{ event_type: { constName: "EventType", entries: { AGENT_STARTED: "agent_started", … } }, … }` for the requested
 * categories of NAMED_VALUE_CATEGORIES. Fails loudly when a category is unknown, so a rename cannot disable the rule.
 * @param {readonly string[]} wanted
 */
export async function namedValueCategories(wanted) {
  const names = await tsImport(fileURLToPath(new URL("src/protocol/names.ts", ROOT)), import.meta.url);
  const all = names.NAMED_VALUE_CATEGORIES;
  if (!all || typeof all !== "object") throw new Error("src/protocol/names.ts no longer exports NAMED_VALUE_CATEGORIES");
  /** @type {Record<string, {constName: string, entries: Record<string, string>}>} */
  const categories = {};
  for (const category of wanted) {
    const values = all[category];
    if (!values) throw new Error(`NAMED_VALUE_CATEGORIES has no category "${category}" (eslint.config.js asks for it)`);
    const constName = Object.entries(names).find(([, exported]) => exported === values)?.[0] ?? category;
    categories[category] = { constName, entries: { ...values } };
  }
  return categories;
}

/** The public members of `class MetadataStore` (no `private`, no `#`), or the documented API before the file exists. */
export function metadataStoreApi() {
  const file = fileURLToPath(new URL("src/runtime/metadata.ts", ROOT));
  if (!existsSync(file)) return DOCUMENTED_STORE_API;
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const store = source.statements.find(
    (statement) => ts.isClassDeclaration(statement) && statement.name?.text === "MetadataStore",
  );
  if (!store || !ts.isClassDeclaration(store)) {
    throw new Error("src/runtime/metadata.ts has no `class MetadataStore`: update eslint-rules/project-facts.js");
  }
  const members = new Set();
  for (const member of store.members) {
    if (!member.name || ts.isPrivateIdentifier(member.name) || ts.isConstructorDeclaration(member)) continue;
    const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) continue;
    if (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name)) members.add(member.name.text);
  }
  return [...members];
}
