import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { ConceptReport, SsotReport } from "./ssot-report.ts";

// `apex check --ssot`: the single-source-of-truth report. The other checks (types, lint, layers, duplicates, unused
// code) are well-kept tools run by `npm run check`; this command holds only what is ours.

const PROJECT_ROOT = path.resolve(fileURLToPath(new URL("../../", import.meta.url)));

const STATUS_MARK: Record<ConceptReport["status"], string> = {
  ok: "ok",
  "not-built": "not built yet",
  missing: "MISSING",
  duplicated: "DUPLICATED",
};

export function registerCheckCommand(program: Command): void {
  program
    .command("check")
    .description("architecture reports; `npm run check` runs every check (types, lint, layers, duplicates, unused code)")
    .option("--ssot", "report the implementation of each architecture concept; fails when one has two")
    .option("--json", "print the report as JSON")
    .option("--root <dir>", "project root to analyse", PROJECT_ROOT)
    .action(async (options: { ssot?: boolean; json?: boolean; root: string }) => {
      if (!options.ssot) {
        throw new ApexError(
          ErrorCode.INVALID_REQUEST,
          "Choose a report: `apex check --ssot`. Run `npm run check` for all the checks CI runs.",
        );
      }
      // ts-morph is a devDependency: loaded only when a developer asks for the report.
      const { buildSsotReport } = await import("./ssot-report.ts");
      const report = buildSsotReport(path.resolve(options.root));
      console.log(options.json ? JSON.stringify(report, null, 2) : await formatSsotReport(report));
      if (!report.ok) process.exitCode = 1;
    });
}

async function formatSsotReport(report: SsotReport): Promise<string> {
  const { LOOKALIKE_RULES } = await import("./ssot-lookalikes.ts");
  const { counts } = report;
  const lines: string[] = [];
  const failing = counts.concepts.missing + counts.concepts.duplicated;
  lines.push(
    `SSOT report: ${report.concepts.length} concepts, ${counts.concepts.ok} with one implementation, ` +
      `${counts.concepts["not-built"]} not built yet, ${failing} failing`,
    "",
  );
  for (const concept of report.concepts) {
    lines.push(`[${STATUS_MARK[concept.status]}] ${concept.original}  →  ${concept.module}`);
    for (const d of concept.implementations) lines.push(`    ${d.kind} ${d.name}  ${d.file}:${d.line}`);
    for (const m of concept.missing) lines.push(`    missing: ${m} is not declared in ${concept.module}`);
    if (concept.members.length > 0) lines.push(`    ${concept.members.length} members: ${concept.members.map((m) => m.name).join(", ")}`);
    for (const l of concept.lookalikes) {
      lines.push(`    second implementation: ${l.kind} ${l.name}  ${l.file}:${l.line}  [${l.rule}: ${l.reason}]`);
    }
  }
  if (report.undocumented.length > 0) {
    lines.push("", `Not mentioned in ARCHITECTURE.md (update the map): ${report.undocumented.join(", ")}`);
  }
  lines.push("", `Class hierarchy (${report.classes.length} classes; external bases marked *)`);
  for (const c of report.classes) {
    const chain = c.chain.map((name, i) => (c.externalBase && i === c.chain.length - 1 ? `${name}*` : name)).join(" → ");
    const implemented = c.implements.length > 0 ? `  implements ${c.implements.join(", ")}` : "";
    lines.push(`  ${chain}${implemented}  ${c.file}:${c.line}`);
  }
  lines.push(
    "",
    "Counts",
    `  production: ${counts.productionFiles} files, ${counts.productionLines} lines; ` +
      `tests and benchmarks: ${counts.testFiles} files`,
    `  declarations: ${counts.classes} classes, ${counts.interfaces} interfaces, ${counts.typeAliases} type aliases, ` +
      `${counts.functions} functions, ${counts.exports} exports`,
    `  named values in src/protocol/names.ts: ${counts.namedValues}`,
    `  per layer: ${Object.entries(counts.layers)
      .map(([layer, c]) => `${layer} ${c.files}/${c.lines}`)
      .join(", ")} (files/lines)`,
    `  files over 300 lines: ${counts.filesOver300Lines.map((f) => `${f.file} (${f.lines})`).join(", ") || "none"}`,
    "",
    "How a second implementation is found",
    ...Object.entries(LOOKALIKE_RULES).map(([rule, text]) => `  ${rule}: ${text}`),
  );
  return lines.join("\n");
}
