import { Option, type Command } from "commander";
import { FORMAT_NAMES, type FormatName, type ReadOptions } from "../analytics/read-usage.ts";

// The flags that say how to read usage log files, shared by the commands that read them (ingest, analyze).

export interface SourceFlags {
  format: FormatName | "auto";
  model?: string;
  feature?: string;
  provider?: string;
  start?: string;
}

export function addSourceOptions(command: Command): Command {
  return command
    .addOption(new Option("--format <name>", "source format of the files").choices(["auto", ...FORMAT_NAMES]).default("auto"))
    .option("--model <name>", "model of records whose source names none (needed for azure-trace and mooncake)")
    .option("--feature <name>", "feature of records whose source names none")
    .option("--provider <name>", "provider of records whose source names none")
    .option("--start <time>", "ISO 8601 start time for sources with relative timestamps (mooncake)");
}

export function readOptionsOf(flags: SourceFlags): ReadOptions {
  return {
    format: flags.format,
    ...(flags.model === undefined ? {} : { model: flags.model }),
    ...(flags.feature === undefined ? {} : { feature: flags.feature }),
    ...(flags.provider === undefined ? {} : { provider: flags.provider }),
    ...(flags.start === undefined ? {} : { startTime: flags.start }),
  };
}
