import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

// The TypeScript files the developer commands (`apex check --ssot`, `apex literals`) read: ours, never node_modules,
// never the architecture fixtures that break the rules on purpose.

const SOURCE_DIRS = ["src", "test", "bench"] as const;
const SKIPPED = /(^|\/)(node_modules|\.git)(\/|$)|^test\/architecture\/fixtures\//;

/** Project-relative POSIX paths of the `.ts` files under `dirs` of `root`, sorted. */
export function listSourceFiles(root: string, dirs: readonly string[] = SOURCE_DIRS): string[] {
  const files: string[] = [];
  for (const dir of dirs) {
    const absolute = path.join(root, dir);
    if (!existsSync(absolute)) continue;
    for (const entry of readdirSync(absolute, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) continue;
      const relative = path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/");
      if (!SKIPPED.test(relative)) files.push(relative);
    }
  }
  return files.sort();
}

/** Shipped code: under src/ and not a test beside it. */
export function isProductionFile(file: string): boolean {
  return file.startsWith("src/") && !file.endsWith(".test.ts");
}
