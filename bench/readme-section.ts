import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

// The benchmarks' figures live in bench/README.md between `<!-- name:start -->` and `<!-- name:end -->`; a run
// replaces its own section and leaves the rest of the page as it is.

const README = join(import.meta.dirname, "README.md");

export async function writeReadmeSection(name: string, section: string): Promise<void> {
  const [start, end] = [`<!-- ${name}:start -->`, `<!-- ${name}:end -->`];
  const readme = await readFile(README, "utf8");
  const [head, rest] = readme.split(start);
  const tail = rest?.split(end)[1];
  if (head === undefined || tail === undefined) throw new Error(`bench/README.md has no ${start} … ${end} markers`);
  await writeFile(README, `${head}${start}\n${section}\n${end}${tail}`);
}
