import type { Command } from "commander";
import { DATA_DIR_OPTION_HELP } from "./data-dir-option.ts";
import type { CheckStatus, DoctorCheck } from "./doctor-check.ts";
import { runDoctorChecks } from "./doctor-checks.ts";

// `apex doctor`: checks this installation the way `apex serve` would use it (configuration, data directory, database,
// bus, LLM, prices) and says, for each problem, what to do. Exit code 1 when a check fails, so scripts can gate on it.

interface DoctorFlags {
  dataDir?: string;
  json?: boolean;
}

const STATUS_WIDTH = 5;

export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description("check the configuration, data directory, database, Redis, LLM provider and price table, with fixes")
    .option("--data-dir <dir>", DATA_DIR_OPTION_HELP)
    .option("--json", "print the checks as JSON")
    .action(async (flags: DoctorFlags) => {
      const checks = await runDoctorChecks(process.env, { dataDir: flags.dataDir });
      const failed = checks.some((check) => check.status === "fail");
      console.log(flags.json ? JSON.stringify({ ok: !failed, checks }, null, 2) : formatChecks(checks));
      if (failed) process.exitCode = 1;
    });
}

function formatChecks(checks: readonly DoctorCheck[]): string {
  const nameWidth = Math.max(...checks.map((check) => check.name.length));
  const indent = " ".repeat(STATUS_WIDTH + nameWidth + 2);
  const lines = checks.flatMap((check) => {
    const line = `${check.status.padEnd(STATUS_WIDTH)}${check.name.padEnd(nameWidth)}  ${check.detail}`;
    return check.fix === undefined ? [line] : [line, `${indent}fix: ${check.fix}`];
  });
  return [...lines, summary(checks)].join("\n");
}

function summary(checks: readonly DoctorCheck[]): string {
  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  const failed = count("fail");
  const warned = count("warn");
  if (failed === 0 && warned === 0) return `apex doctor: all ${checks.length} checks passed`;
  return `apex doctor: ${failed} failed, ${warned} warning${warned === 1 ? "" : "s"}, ${count("ok")} ok`;
}
