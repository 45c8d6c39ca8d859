import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerAnalyzeCommand } from "./analyze.ts";
import { registerCheckCommand } from "./check.ts";
import { registerConfigCommand } from "./config-reference.ts";
import { registerDoctorCommand } from "./doctor.ts";
import { registerGenerateCommand } from "./generate.ts";
import { registerIngestCommand } from "./ingest.ts";
import { registerLiteralsCommand } from "./literals.ts";
import { registerServeCommand } from "./serve.ts";
import { registerUserCommand } from "./user.ts";

// The `apex` command tree. Each subcommand lives in its own file under src/cli/ and is added here.

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command("apex")
    .description("Apex: find where your LLM spend goes and what to change, from your own usage logs.")
    .version(packageVersion(), "-v, --version", "print the Apex version")
    .showHelpAfterError("(run `apex --help` for the list of commands)");
  registerCheckCommand(program);
  registerLiteralsCommand(program);
  registerGenerateCommand(program);
  registerIngestCommand(program);
  registerAnalyzeCommand(program);
  registerServeCommand(program);
  registerUserCommand(program);
  registerDoctorCommand(program);
  registerConfigCommand(program);
  return program;
}
