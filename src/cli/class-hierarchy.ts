import type { ClassDeclaration, Project } from "ts-morph";

// The TypeScript counterpart of a Python MRO report: for every class, the chain of classes it extends, outermost last,
// and the interfaces it implements. Bases from outside the project (Error, EventEmitter) end the chain, marked external.

export interface ClassHierarchy {
  name: string;
  file: string;
  line: number;
  /** The class itself, then each base class in order. */
  chain: string[];
  /** True when the last link is a class from outside the project. */
  externalBase: boolean;
  implements: string[];
}

export function classHierarchies(project: Project, relative: (absolute: string) => string): ClassHierarchy[] {
  const hierarchies: ClassHierarchy[] = [];
  for (const sourceFile of project.getSourceFiles()) {
    for (const cls of sourceFile.getClasses()) {
      hierarchies.push(hierarchyOf(cls, relative(sourceFile.getFilePath())));
    }
  }
  return hierarchies.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

function hierarchyOf(cls: ClassDeclaration, file: string): ClassHierarchy {
  const name = cls.getName() ?? "(anonymous)";
  const chain = [name];
  let externalBase = false;
  const seen = new Set<ClassDeclaration>([cls]);
  let current: ClassDeclaration = cls;
  for (;;) {
    const heritage = current.getExtends();
    if (!heritage) break;
    const base = current.getBaseClass();
    if (!base || seen.has(base)) {
      chain.push(heritage.getExpression().getText());
      externalBase = !base;
      break;
    }
    chain.push(base.getName() ?? "(anonymous)");
    seen.add(base);
    current = base;
  }
  return {
    name,
    file,
    line: cls.getStartLineNumber(),
    chain,
    externalBase,
    implements: cls.getImplements().map((clause) => clause.getText()),
  };
}
