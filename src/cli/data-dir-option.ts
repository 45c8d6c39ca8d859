import { resolve } from "node:path";
import { EnvVar } from "../protocol/names.ts";
import { DEFAULT_DATA_DIR } from "../server/config.ts";

// Where Apex keeps its embedded databases: --data-dir, else APEX_DATA_DIR, else ./.apex.

export const DATA_DIR_OPTION_HELP = `directory of the embedded databases (default: $${EnvVar.DATA_DIR} or ${DEFAULT_DATA_DIR})`;
/** The owner of data loaded from the command line when no account is named. */
export const LOCAL_OWNER = "local";

export function resolveDataDir(flag: string | undefined): string {
  return resolve(flag ?? (process.env[EnvVar.DATA_DIR] || DEFAULT_DATA_DIR));
}
