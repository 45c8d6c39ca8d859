import { Option, type Command } from "commander";
import { Role, type RoleName } from "../protocol/names.ts";
import { hashPassword } from "../server/auth.ts";
import { parseServerConfig } from "../server/config.ts";
import { openDatabase } from "../store/database.ts";
import { UserRepository } from "../store/users.ts";
import { DATA_DIR_OPTION_HELP } from "./data-dir-option.ts";

// `apex user create`: adds an account to the app store the server uses (the data directory's PGlite, or DATABASE_URL).

interface CreateFlags {
  email: string;
  password: string;
  role: RoleName;
  dataDir?: string;
  json?: boolean;
}

export function registerUserCommand(program: Command): void {
  const user = program.command("user").description("manage Apex accounts");
  user
    .command("create")
    .description("create an account (run it while the server is stopped when the store is the embedded one)")
    .requiredOption("--email <address>", "the account's email address")
    .requiredOption("--password <password>", "its password (12 characters or more, not a common password)")
    .addOption(new Option("--role <role>", "user or admin").choices(Object.values(Role)).default(Role.USER))
    .option("--data-dir <dir>", DATA_DIR_OPTION_HELP)
    .option("--json", "print the new account as JSON")
    .action(async (flags: CreateFlags) => {
      await createUser(flags);
    });
}

async function createUser(flags: CreateFlags): Promise<void> {
  const config = parseServerConfig(process.env, flags.dataDir === undefined ? {} : { dataDir: flags.dataDir });
  const passwordHash = await hashPassword(flags.password);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const created = await new UserRepository(database.db).create({ email: flags.email, passwordHash, role: flags.role });
    const shown = { id: created.id, email: created.email, role: created.role, tier: created.tier };
    console.log(flags.json ? JSON.stringify(shown) : `apex: created ${shown.role} ${shown.email} (id ${shown.id}; use it as --owner of apex ingest)`);
  } finally {
    await database.close();
  }
}
