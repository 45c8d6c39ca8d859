import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import * as names from "../protocol/names.ts";
import { listSourceFiles } from "./source-files.ts";

// The index behind `apex literals`: every named value of src/protocol/names.ts with where it is defined, where its
// constant is used, and where the string is spelled out instead; plus every string literal found in the code.

export interface SourceLocation {
  file: string;
  line: number;
}

export interface NamedValueEntry {
  category: string;
  constName: string;
  key: string;
  value: string;
  /** How code should write it: `EventType.AGENT_STARTED`. */
  reference: string;
  definedAt: SourceLocation | null;
  /** Uses of the constant (`EventType.AGENT_STARTED`). */
  usages: SourceLocation[];
  /** The string spelled out outside src/protocol/ (what the lint rule forbids for protocol names). */
  literals: SourceLocation[];
  /** The string spelled out inside src/protocol/, where the index and its schemas live. */
  protocolLiterals: SourceLocation[];
}

export interface NamedValuesIndex {
  entries: NamedValueEntry[];
  /** Every string literal of the scanned code (module specifiers excepted), by value. */
  codeLiterals: Map<string, SourceLocation[]>;
  filesScanned: number;
}

const NAMES_FILE = "src/protocol/names.ts";

/** The categories of NAMED_VALUE_CATEGORIES with the exported constant each one is (`event_type` → `EventType`). */
function categoryConstants(): { category: string; constName: string; values: Record<string, string> }[] {
  const exported = Object.entries(names);
  return Object.entries(names.NAMED_VALUE_CATEGORIES).map(([category, values]) => ({
    category,
    constName: exported.find(([, value]) => value === values)?.[0] ?? category,
    values: values as Record<string, string>,
  }));
}

export function buildNamedValuesIndex(root: string): NamedValuesIndex {
  const categories = categoryConstants();
  const entries: NamedValueEntry[] = categories.flatMap(({ category, constName, values }) =>
    Object.entries(values).map(([key, value]) => ({
      category,
      constName,
      key,
      value,
      reference: `${constName}.${key}`,
      definedAt: null,
      usages: [],
      literals: [],
      protocolLiterals: [],
    })),
  );
  const byReference = new Map(entries.map((entry) => [entry.reference, entry]));
  const byValue = new Map<string, NamedValueEntry[]>();
  for (const entry of entries) byValue.set(entry.value, [...(byValue.get(entry.value) ?? []), entry]);
  const constNames = new Set(categories.map((c) => c.constName));
  const codeLiterals = new Map<string, SourceLocation[]>();

  const files = listSourceFiles(root);
  for (const file of files) {
    const text = readFileSync(path.join(root, file), "utf8");
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const at = (node: ts.Node): SourceLocation => ({
      file,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
    });
    const visit = (node: ts.Node): void => {
      if (file === NAMES_FILE && ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) {
        recordDefinitions(node, node.name.text, byReference, at);
      }
      if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && constNames.has(node.expression.text)) {
        byReference.get(`${node.expression.text}.${node.name.text}`)?.usages.push(at(node));
      }
      if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && !isModuleSpecifier(node)) {
        const location = at(node);
        codeLiterals.set(node.text, [...(codeLiterals.get(node.text) ?? []), location]);
        // In names.ts the string is the definition itself, not a copy of it.
        for (const entry of file === NAMES_FILE ? [] : (byValue.get(node.text) ?? [])) {
          (file.startsWith("src/protocol/") ? entry.protocolLiterals : entry.literals).push(location);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { entries, codeLiterals, filesScanned: files.length };
}

/** `export const EventType = { AGENT_STARTED: "agent_started", … }`: the line of each key. */
function recordDefinitions(
  declaration: ts.VariableDeclaration,
  constName: string,
  byReference: Map<string, NamedValueEntry>,
  at: (node: ts.Node) => SourceLocation,
): void {
  let init = declaration.initializer;
  while (init && (ts.isAsExpression(init) || ts.isSatisfiesExpression(init))) init = init.expression;
  if (!init || !ts.isObjectLiteralExpression(init)) return;
  for (const property of init.properties) {
    if (!ts.isPropertyAssignment(property) || !ts.isIdentifier(property.name)) continue;
    const entry = byReference.get(`${constName}.${property.name.text}`);
    if (entry) entry.definedAt = at(property);
  }
}

function isModuleSpecifier(node: ts.Node): boolean {
  const parent = node.parent;
  return (
    (ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent)) ||
    ts.isExternalModuleReference(parent) ||
    (ts.isLiteralTypeNode(parent) && ts.isImportTypeNode(parent.parent)) ||
    (ts.isCallExpression(parent) && parent.expression.kind === ts.SyntaxKind.ImportKeyword)
  );
}
