import { Node, SyntaxKind, type ClassDeclaration, type SourceFile } from "ts-morph";
import type { SsotConcept } from "./ssot-concepts.ts";

// The ways a second implementation of a concept gives itself away, beyond its name: it imports what only the concept
// may import, extends or mimics the canonical class, repeats the named values, or reuses a member's name.

const STRUCTURE_OVERLAP = 0.75;
const STRUCTURE_MIN_METHODS = 3;

export interface Declaration {
  name: string;
  kind: string;
  file: string;
  line: number;
}

export type LookalikeRule = "name" | "same-name" | "heritage" | "structure" | "package" | "duplicate-member";

/** How each look-alike is found; printed with the report so a failure explains itself. */
export const LOOKALIKE_RULES: Record<LookalikeRule, string> = {
  name: "a class or function outside the concept's module whose name matches the concept's pattern (e.g. /Dispatcher$/)",
  "same-name": "a declaration outside the concept's module with the canonical symbol's name",
  heritage: "a class that extends (at any depth) or implements the concept's canonical class",
  structure:
    `a class with at least ${STRUCTURE_OVERLAP * 100}% of the canonical class's public methods ` +
    `(when it has ${STRUCTURE_MIN_METHODS} or more), ` +
    "or an object of string constants repeating 2+ values of names.ts",
  package:
    "a module outside the concept's module importing a package only that module may use " +
    "(ws for the gateway, pino/OpenTelemetry/prom-client for telemetry)",
  "duplicate-member": "two members of a one-file-per-member folder (agents, tools) with the same name",
};

export interface Lookalike extends Declaration {
  rule: LookalikeRule;
  reason: string;
}

export interface Scan {
  root: string;
  production: SourceFile[];
  relative: (absolute: string) => string;
  concepts: readonly SsotConcept[];
}

export function declarationOf(node: Node, name: string, kind: string, scan: Scan): Declaration {
  return { name, kind, file: scan.relative(node.getSourceFile().getFilePath()), line: node.getStartLineNumber() };
}

/** Importing a package this concept owns (the socket library, the telemetry SDKs) re-implements the concept. */
export function packageLookalikes(sourceFile: SourceFile, file: string, concept: SsotConcept): Lookalike[] {
  const owned = concept.ownedPackages ?? [];
  return sourceFile
    .getImportDeclarations()
    .filter((imp) => owned.some((pattern) => pattern.test(imp.getModuleSpecifierValue())))
    .map((imp) => ({
      name: imp.getModuleSpecifierValue(),
      kind: "import",
      file,
      line: imp.getStartLineNumber(),
      rule: "package" as const,
      reason: `imports ${imp.getModuleSpecifierValue()}, which only ${concept.module} may use`,
    }));
}

/** A class that extends or implements a canonical class, or whose public methods cover most of one's, is another one. */
export function classLookalikes(cls: ClassDeclaration, concept: SsotConcept, canonical: Declaration[], scan: Scan): Lookalike[] {
  const found: Lookalike[] = [];
  const name = cls.getName() ?? "(anonymous)";
  const canonicalClasses = concept.symbols.filter((s) => s.kind === "class").map((s) => s.name);
  for (let base = cls.getBaseClass(); base; base = base.getBaseClass()) {
    const baseName = base.getName() ?? "";
    if (canonicalClasses.includes(baseName)) {
      found.push({ ...declarationOf(cls, name, "class", scan), rule: "heritage", reason: `extends ${baseName}` });
    }
  }
  for (const clause of cls.getImplements()) {
    const implemented = clause.getExpression().getText();
    if (canonicalClasses.includes(implemented)) {
      found.push({ ...declarationOf(cls, name, "class", scan), rule: "heritage", reason: `implements ${implemented}` });
    }
  }
  const methods = new Set(publicMethods(cls));
  for (const declaration of canonical.filter((d) => d.kind === "class")) {
    const canonicalClass = scan.production
      .find((sf) => scan.relative(sf.getFilePath()) === declaration.file)
      ?.getClass(declaration.name);
    const wanted = canonicalClass ? publicMethods(canonicalClass) : [];
    if (!canonicalClass || canonicalClass === cls || wanted.length < STRUCTURE_MIN_METHODS) continue;
    const shared = wanted.filter((m) => methods.has(m));
    if (shared.length / wanted.length >= STRUCTURE_OVERLAP) {
      found.push({
        ...declarationOf(cls, name, "class", scan),
        rule: "structure",
        reason: `has ${shared.length} of the ${wanted.length} public methods of ${declaration.name} (${shared.join(", ")})`,
      });
    }
  }
  return found;
}

function publicMethods(cls: ClassDeclaration): string[] {
  return cls
    .getMethods()
    .filter((m) => !m.isStatic() && !Node.isPrivateIdentifier(m.getNameNode()))
    .filter((m) => !m.hasModifier(SyntaxKind.PrivateKeyword) && !m.hasModifier(SyntaxKind.ProtectedKeyword))
    .map((m) => m.getName());
}

/** An object of string constants outside names.ts that repeats two or more named values is a second index. */
export function redeclaredNamedValues(scan: Scan, concept: SsotConcept): Lookalike[] {
  const names = scan.production.find((sf) => scan.relative(sf.getFilePath()) === concept.module);
  if (!names) return [];
  const indexed = new Set(stringValues(names));
  const found: Lookalike[] = [];
  for (const sourceFile of scan.production) {
    const file = scan.relative(sourceFile.getFilePath());
    if (file.startsWith("src/protocol/")) continue;
    for (const variable of sourceFile.getVariableDeclarations()) {
      const init = variable.getInitializer();
      const object = init && Node.isAsExpression(init) ? init.getExpression() : init;
      if (!object || !Node.isObjectLiteralExpression(object)) continue;
      const repeated = object
        .getProperties()
        .flatMap((p) => (Node.isPropertyAssignment(p) ? [p.getInitializer()] : []))
        .flatMap((v) => (v && Node.isStringLiteral(v) && indexed.has(v.getLiteralValue()) ? [v.getLiteralValue()] : []));
      if (repeated.length >= 2) {
        found.push({
          ...declarationOf(variable, variable.getName(), "const", scan),
          rule: "structure",
          reason: `repeats named values of ${concept.module}: ${repeated.slice(0, 4).join(", ")}`,
        });
      }
    }
  }
  return found;
}

function stringValues(sourceFile: SourceFile): string[] {
  return sourceFile
    .getDescendants()
    .filter((node) => Node.isPropertyAssignment(node))
    .flatMap((p) => {
      const value = p.getInitializer();
      return value && Node.isStringLiteral(value) ? [value.getLiteralValue()] : [];
    });
}

export function familyMembers(files: SourceFile[], shape: readonly string[], scan: Scan): Declaration[] {
  const [nameProperty] = shape;
  const members: Declaration[] = [];
  for (const sourceFile of files) {
    for (const object of sourceFile.getDescendants().filter((n) => Node.isObjectLiteralExpression(n))) {
      const properties = new Map(
        object
          .getProperties()
          .filter((p) => Node.isPropertyAssignment(p) || Node.isMethodDeclaration(p) || Node.isShorthandPropertyAssignment(p))
          .map((p) => [p.getName(), p] as const),
      );
      if (!shape.every((key) => properties.has(key))) continue;
      const nameNode = nameProperty ? properties.get(nameProperty) : undefined;
      const name = nameNode && Node.isPropertyAssignment(nameNode) ? (nameNode.getInitializer()?.getText() ?? "?") : "?";
      members.push(declarationOf(object, name, "member", scan));
    }
  }
  return members;
}

export function duplicateMembers(members: Declaration[]): Lookalike[] {
  const byName = new Map<string, Declaration[]>();
  for (const member of members) byName.set(member.name, [...(byName.get(member.name) ?? []), member]);
  return [...byName.values()]
    .filter((group) => group.length > 1)
    .flatMap((group) =>
      group.slice(1).map((member) => ({
        ...member,
        rule: "duplicate-member" as const,
        reason: `a second member named ${member.name} (first at ${group[0]?.file}:${group[0]?.line})`,
      })),
    );
}
