import { Node, type SourceFile } from "ts-morph";
import { listSourceFiles } from "./source-files.ts";

// The figures reviewers watch as the tree grows: size per layer, how many types of each kind, and the files that
// probably hold two ideas (style.md: past ~300 lines).

interface LayerCount {
  files: number;
  lines: number;
}

export interface SsotCounts {
  productionFiles: number;
  productionLines: number;
  testFiles: number;
  classes: number;
  interfaces: number;
  typeAliases: number;
  functions: number;
  exports: number;
  namedValues: number;
  layers: Record<string, LayerCount>;
  filesOver300Lines: { file: string; lines: number }[];
}

const LONG_FILE_LINES = 300;

export function countsOf(
  root: string,
  production: readonly SourceFile[],
  relative: (absolute: string) => string,
): SsotCounts {
  const layers: Record<string, LayerCount> = {};
  const filesOver300Lines: { file: string; lines: number }[] = [];
  let productionLines = 0;
  let classes = 0;
  let interfaces = 0;
  let typeAliases = 0;
  let functions = 0;
  let exports = 0;
  for (const sourceFile of production) {
    const file = relative(sourceFile.getFilePath());
    const lines = sourceFile.getEndLineNumber();
    productionLines += lines;
    const layer = file.split("/")[1] ?? "";
    const count = layers[layer] ?? { files: 0, lines: 0 };
    layers[layer] = { files: count.files + 1, lines: count.lines + lines };
    if (lines > LONG_FILE_LINES) filesOver300Lines.push({ file, lines });
    classes += sourceFile.getClasses().length;
    interfaces += sourceFile.getInterfaces().length;
    typeAliases += sourceFile.getTypeAliases().length;
    functions +=
      sourceFile.getFunctions().length +
      sourceFile.getVariableDeclarations().filter((v) => {
        const init = v.getInitializer();
        return init !== undefined && (Node.isArrowFunction(init) || Node.isFunctionExpression(init));
      }).length;
    exports += sourceFile.getExportedDeclarations().size;
  }
  return {
    productionFiles: production.length,
    productionLines,
    testFiles: listSourceFiles(root).filter((f) => !f.startsWith("src/") || f.endsWith(".test.ts")).length,
    classes,
    interfaces,
    typeAliases,
    functions,
    exports,
    namedValues: namedValueCount(production.find((sf) => relative(sf.getFilePath()) === "src/protocol/names.ts")),
    layers,
    filesOver300Lines: filesOver300Lines.sort((a, b) => b.lines - a.lines),
  };
}

/** The string constants of names.ts (`KEY: "value"` properties): the size of the named-values index. */
function namedValueCount(names: SourceFile | undefined): number {
  if (!names) return 0;
  return names.getDescendants().filter((node) => {
    if (!Node.isPropertyAssignment(node)) return false;
    const value = node.getInitializer();
    return value !== undefined && Node.isStringLiteral(value);
  }).length;
}
