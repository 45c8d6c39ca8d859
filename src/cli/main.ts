import { toApexError } from "../protocol/errors.ts";
import { buildProgram } from "./program.ts";

// Entry point of the `apex` bin: runs the command tree and turns any error into one clear line and exit code 1.
try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  const apexError = toApexError(error);
  console.error(`apex: ${apexError.message} [${apexError.code}]`);
  process.exitCode = 1;
}
