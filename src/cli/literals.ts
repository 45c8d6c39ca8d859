import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { nearestNames } from "./edit-distance.ts";
import type { NamedValueEntry, NamedValuesIndex, SourceLocation } from "./named-values-index.ts";

// `apex literals search|validate|list|stats`: questions to the named-values index (src/protocol/names.ts) and to the
// string literals of the code, so a name is checked before it is written.

const PROJECT_ROOT = path.resolve(fileURLToPath(new URL("../../", import.meta.url)));
const SHOWN_LOCATIONS = 10;

interface LiteralsOptions {
  json?: boolean;
}

export function registerLiteralsCommand(program: Command): void {
  const literals = program
    .command("literals")
    .description("query the named values of src/protocol/names.ts and the string literals of the code");
  const withOptions = (command: Command): Command =>
    command.option("--json", "print JSON");

  withOptions(literals.command("search <text>").description("named values and code literals containing <text>")).action(
    async (text: string, options: LiteralsOptions) => print(options, searchLiterals(await load(), text)),
  );
  withOptions(
    literals
      .command("validate <name>")
      .description("is <name> a named value? where it is defined and used, or the nearest names"),
  ).action(async (name: string, options: LiteralsOptions) => {
    const result = validateLiteral(await load(), name);
    if (!result.valid && !options.json) {
      throw new ApexError(
        ErrorCode.NOT_FOUND,
        `"${name}" is not a named value of src/protocol/names.ts.` +
          (result.suggestions.length > 0 ? ` Did you mean: ${result.suggestions.join(", ")}?` : "") +
          " Add it to names.ts if it is a new protocol name.",
      );
    }
    print(options, result);
    if (!result.valid) process.exitCode = 1;
  });
  withOptions(literals.command("list [category]").description("the named values, all or of one category")).action(
    async (category: string | undefined, options: LiteralsOptions) => print(options, listLiterals(await load(), category)),
  );
  withOptions(literals.command("stats").description("counts by category and of literals in the code")).action(
    async (options: LiteralsOptions) => print(options, literalStats(await load())),
  );
}

// The index is of this checkout: its names.ts is the one imported, so the code scanned must be this checkout's too.
async function load(): Promise<NamedValuesIndex> {
  // The TypeScript parser is a devDependency: loaded only when a developer asks.
  const { buildNamedValuesIndex } = await import("./named-values-index.ts");
  return buildNamedValuesIndex(PROJECT_ROOT);
}

interface Rendered {
  text: string;
}

function print(options: LiteralsOptions, result: Rendered & Record<string, unknown>): void {
  const { text, ...data } = result;
  console.log(options.json ? JSON.stringify(data, null, 2) : text);
}

function where(locations: readonly SourceLocation[]): string {
  const shown = locations.slice(0, SHOWN_LOCATIONS).map((l) => `${l.file}:${l.line}`);
  const more = locations.length > SHOWN_LOCATIONS ? ` … and ${locations.length - SHOWN_LOCATIONS} more` : "";
  return shown.join(", ") + more;
}

function describeEntry(entry: NamedValueEntry): string[] {
  return [
    `${entry.reference} = "${entry.value}"  (${entry.category})`,
    `  defined at ${entry.definedAt ? `${entry.definedAt.file}:${entry.definedAt.line}` : "(not found in names.ts)"}`,
    `  used ${entry.usages.length} times${entry.usages.length > 0 ? `: ${where(entry.usages)}` : ""}`,
    ...(entry.protocolLiterals.length > 0
      ? [`  spelled out in src/protocol/ ${entry.protocolLiterals.length} times: ${where(entry.protocolLiterals)}`]
      : []),
    ...(entry.literals.length > 0
      ? [`  spelled out elsewhere ${entry.literals.length} times (use ${entry.reference}): ${where(entry.literals)}`]
      : []),
  ];
}

function validateLiteral(index: NamedValuesIndex, name: string) {
  const wanted = name.trim();
  const matches = index.entries.filter(
    (e) => e.value === wanted || e.reference === wanted || e.key === wanted,
  );
  if (matches.length > 0) {
    return { valid: true as const, name: wanted, matches, suggestions: [] as string[], text: matches.flatMap(describeEntry).join("\n") };
  }
  const suggestions = nearest(index, wanted);
  const spelled = index.codeLiterals.get(wanted) ?? [];
  const text = [
    `"${wanted}" is not a named value.`,
    suggestions.length > 0 ? `Nearest names: ${suggestions.join(", ")}` : "No named value is close to it.",
    ...(spelled.length > 0 ? [`It appears as a string literal ${spelled.length} times: ${where(spelled)}`] : []),
  ].join("\n");
  return { valid: false as const, name: wanted, matches, suggestions, literalLocations: spelled, text };
}

function nearest(index: NamedValuesIndex, wanted: string): string[] {
  return nearestNames(wanted, index.entries.flatMap((e) => [e.value, e.reference]));
}

function searchLiterals(index: NamedValuesIndex, text: string) {
  const query = text.toLowerCase();
  const matches = index.entries.filter((e) =>
    [e.value, e.reference, e.category].some((field) => field.toLowerCase().includes(query)),
  );
  const named = new Set(index.entries.map((e) => e.value));
  const codeLiterals = [...index.codeLiterals.entries()]
    .filter(([value]) => !named.has(value) && value.toLowerCase().includes(query))
    .map(([value, locations]) => ({ value, count: locations.length, locations }))
    .sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  const lines = [
    `${matches.length} named values match "${text}"`,
    ...matches.map((e) => `  ${e.reference} = "${e.value}"  (${e.category}, used ${e.usages.length}, spelled out ${e.literals.length})`),
    `${codeLiterals.length} other string literals in the code contain "${text}"`,
    ...codeLiterals.slice(0, 20).map((l) => `  "${l.value}" ×${l.count}: ${where(l.locations)}`),
  ];
  return { query: text, matches, codeLiterals, text: lines.join("\n") };
}

function listLiterals(index: NamedValuesIndex, category?: string) {
  const categories = [...new Set(index.entries.map((e) => e.category))];
  if (category !== undefined && !categories.includes(category)) {
    throw new ApexError(
      ErrorCode.NOT_FOUND,
      `No category "${category}" in NAMED_VALUE_CATEGORIES; the categories are: ${categories.join(", ")}.`,
    );
  }
  const shown = category === undefined ? categories : [category];
  const groups = shown.map((c) => ({
    category: c,
    values: index.entries.filter((e) => e.category === c).map((e) => ({ reference: e.reference, value: e.value })),
  }));
  const text = groups
    .map((g) => [`${g.category} (${g.values.length})`, ...g.values.map((v) => `  ${v.reference} = "${v.value}"`)].join("\n"))
    .join("\n");
  return { categories: groups, text };
}

function literalStats(index: NamedValuesIndex) {
  const byCategory: Record<string, number> = {};
  for (const entry of index.entries) byCategory[entry.category] = (byCategory[entry.category] ?? 0) + 1;
  const occurrences = [...index.codeLiterals.values()].reduce((sum, locations) => sum + locations.length, 0);
  const spelledOut = index.entries.filter((e) => e.literals.length > 0);
  const unused = index.entries.filter((e) => e.usages.length === 0 && e.literals.length === 0);
  const stats = {
    categories: Object.keys(byCategory).length,
    namedValues: index.entries.length,
    byCategory,
    constantUses: index.entries.reduce((sum, e) => sum + e.usages.length, 0),
    filesScanned: index.filesScanned,
    distinctCodeLiterals: index.codeLiterals.size,
    codeLiteralOccurrences: occurrences,
    namedValuesSpelledOutsideProtocol: spelledOut.map((e) => ({ reference: e.reference, count: e.literals.length })),
    namedValuesNeverUsed: unused.map((e) => e.reference),
  };
  const text = [
    `${stats.namedValues} named values in ${stats.categories} categories:`,
    ...Object.entries(byCategory).map(([category, count]) => `  ${category.padEnd(18)} ${count}`),
    `constants used ${stats.constantUses} times in ${stats.filesScanned} files`,
    `string literals in the code: ${stats.distinctCodeLiterals} distinct, ${stats.codeLiteralOccurrences} occurrences`,
    `named values spelled out outside src/protocol/: ${spelledOut.length}` +
      (spelledOut.length > 0 ? ` (${spelledOut.map((e) => `${e.reference} ×${e.literals.length}`).join(", ")})` : ""),
    `named values not used anywhere yet: ${unused.length}`,
  ].join("\n");
  return { ...stats, text };
}
