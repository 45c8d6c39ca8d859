import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Node, Project, type SourceFile } from "ts-morph";
import { classHierarchies, type ClassHierarchy } from "./class-hierarchy.ts";
import { countsOf, type SsotCounts } from "./ssot-counts.ts";
import {
  classLookalikes,
  declarationOf,
  duplicateMembers,
  familyMembers,
  packageLookalikes,
  redeclaredNamedValues,
  type Declaration,
  type Lookalike,
  type Scan,
} from "./ssot-lookalikes.ts";
import { isProductionFile, listSourceFiles } from "./source-files.ts";
import { SSOT_CONCEPTS, type SsotConcept } from "./ssot-concepts.ts";

// `apex check --ssot`: for each concept of architecture.md, where it is implemented (exactly one place expected), every
// class hierarchy, and the counts reviewers watch. A concept implemented twice fails the check.

/** ok: one implementation; not-built: its module does not exist yet; missing: the module lacks the symbol; duplicated. */
type ConceptStatus = "ok" | "not-built" | "missing" | "duplicated";

export interface ConceptReport {
  id: string;
  original: string;
  module: string;
  status: ConceptStatus;
  implementations: Declaration[];
  missing: string[];
  lookalikes: Lookalike[];
  /** Members of one-file-per-member concepts (agents, tools). */
  members: Declaration[];
}

export interface SsotReport {
  root: string;
  ok: boolean;
  concepts: ConceptReport[];
  classes: ClassHierarchy[];
  /** Concept modules ARCHITECTURE.md does not mention: the human map has drifted from this table (reported, not failed). */
  undocumented: string[];
  counts: SsotCounts & { concepts: Record<ConceptStatus, number> };
}

export function buildSsotReport(root: string, concepts: readonly SsotConcept[] = SSOT_CONCEPTS): SsotReport {
  const files = listSourceFiles(root);
  const project = new Project({
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
    compilerOptions: { allowImportingTsExtensions: true, noEmit: true, skipLibCheck: true, strict: true },
  });
  for (const file of files) project.addSourceFileAtPath(path.join(root, file));
  const relative = (absolute: string): string => path.relative(root, absolute).split(path.sep).join("/");
  const production = project.getSourceFiles().filter((sf) => isProductionFile(relative(sf.getFilePath())));
  const scan = { root, production, relative, concepts };

  const reports = concepts.map((concept) => conceptReport(concept, scan));
  return {
    root,
    ok: reports.every((report) => report.status === "ok" || report.status === "not-built"),
    concepts: reports,
    classes: classHierarchies(project, relative),
    undocumented: undocumentedModules(root, concepts),
    counts: { ...countsOf(root, production, relative), concepts: statusCounts(reports) },
  };
}

function inModule(file: string, concept: SsotConcept): boolean {
  return concept.module.endsWith("/") ? file.startsWith(concept.module) : file === concept.module;
}

function moduleExists(root: string, concept: SsotConcept, scan: Scan): boolean {
  if (!concept.module.endsWith("/")) return existsSync(path.join(root, concept.module));
  const folder = path.join(root, concept.module);
  return (
    existsSync(folder) &&
    statSync(folder).isDirectory() &&
    scan.production.some((sf) => inModule(scan.relative(sf.getFilePath()), concept))
  );
}

/** Classes and functions (declared, or arrow functions bound to a const) of the production files. */
function namedDeclarations(sourceFile: SourceFile): { node: Node; name: string; kind: string }[] {
  const found: { node: Node; name: string; kind: string }[] = [];
  for (const cls of sourceFile.getClasses()) found.push({ node: cls, name: cls.getName() ?? "", kind: "class" });
  for (const fn of sourceFile.getFunctions()) found.push({ node: fn, name: fn.getName() ?? "", kind: "function" });
  for (const variable of sourceFile.getVariableDeclarations()) {
    const init = variable.getInitializer();
    if (init && (Node.isArrowFunction(init) || Node.isFunctionExpression(init))) {
      found.push({ node: variable, name: variable.getName(), kind: "function" });
    }
  }
  for (const iface of sourceFile.getInterfaces()) found.push({ node: iface, name: iface.getName(), kind: "interface" });
  return found.filter((d) => d.name !== "");
}

function conceptReport(concept: SsotConcept, scan: Scan): ConceptReport {
  const canonicalNames = new Set(scan.concepts.flatMap((c) => c.symbols.map((s) => s.name)));
  const implementations: Declaration[] = [];
  const missing: string[] = [];
  const lookalikes: Lookalike[] = [];
  const exists = moduleExists(scan.root, concept, scan);

  const moduleFiles = scan.production.filter((sf) => inModule(scan.relative(sf.getFilePath()), concept));
  for (const symbol of concept.symbols) {
    const found = moduleFiles
      .flatMap(namedDeclarations)
      .find((d) => d.name === symbol.name && d.kind === symbol.kind);
    if (found) implementations.push(declarationOf(found.node, symbol.name, symbol.kind, scan));
    else if (exists) missing.push(`${symbol.kind} ${symbol.name}`);
  }

  for (const sourceFile of scan.production) {
    const file = scan.relative(sourceFile.getFilePath());
    if (inModule(file, concept)) continue;
    for (const { node, name, kind } of namedDeclarations(sourceFile)) {
      const sameName = concept.symbols.find((s) => s.name === name);
      if (sameName) {
        lookalikes.push({ ...declarationOf(node, name, kind, scan), rule: "same-name", reason: `also named ${name}` });
      } else if (kind !== "interface" && concept.lookalikeName?.test(name) && !canonicalNames.has(name)) {
        lookalikes.push({
          ...declarationOf(node, name, kind, scan),
          rule: "name",
          reason: `name matches ${String(concept.lookalikeName)}`,
        });
      }
    }
    lookalikes.push(...packageLookalikes(sourceFile, file, concept));
    for (const cls of sourceFile.getClasses()) lookalikes.push(...classLookalikes(cls, concept, implementations, scan));
  }
  if (concept.id === "named-values") lookalikes.push(...redeclaredNamedValues(scan, concept));

  const members = concept.memberShape ? familyMembers(moduleFiles, concept.memberShape, scan) : [];
  lookalikes.push(...duplicateMembers(members));

  const unique = dedupe(lookalikes);
  const status: ConceptStatus =
    unique.length > 0 ? "duplicated" : missing.length > 0 ? "missing" : exists ? "ok" : "not-built";
  const { id, original, module } = concept;
  return { id, original, module, status, implementations, missing, lookalikes: unique, members };
}

function dedupe(lookalikes: Lookalike[]): Lookalike[] {
  const seen = new Set<string>();
  return lookalikes.filter((l) => {
    const key = `${l.file}:${l.line}:${l.name}:${l.rule}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function statusCounts(reports: readonly ConceptReport[]): Record<ConceptStatus, number> {
  const counts: Record<ConceptStatus, number> = { ok: 0, "not-built": 0, missing: 0, duplicated: 0 };
  for (const report of reports) counts[report.status] += 1;
  return counts;
}

/** ARCHITECTURE.md names each module in backticks; a concept module it never names is drift between the two maps. */
function undocumentedModules(root: string, concepts: readonly SsotConcept[]): string[] {
  const map = path.join(root, "ARCHITECTURE.md");
  if (!existsSync(map)) return [];
  const text = readFileSync(map, "utf8");
  return concepts.map((c) => c.module).filter((module) => !text.includes(`\`${module}`));
}
