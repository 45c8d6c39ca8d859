import { ApexError } from "../protocol/errors.ts";
import { EnvVar, ErrorCode } from "../protocol/names.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { PriceFileError } from "../pricing/price-file-error.ts";

// The `--prices FILE` option shared by the commands that price records: the bundled table, extended or overridden by
// a LiteLLM-format file given by the flag or by APEX_PRICES_FILE.

export const PRICES_OPTION_HELP = `LiteLLM-format price overrides (default: $${EnvVar.PRICES_FILE})`;

/** The price book, and a sentence naming where its prices come from (for answer keys and summaries). */
export function loadPriceBook(flag: string | undefined): { book: PriceBook; source: string } {
  const file = flag ?? process.env[EnvVar.PRICES_FILE];
  const bundled = "bundled @pydantic/genai-prices table";
  if (file === undefined || file === "") return { book: new PriceBook(), source: bundled };
  try {
    return { book: PriceBook.fromFile(file), source: `${bundled} with overrides from ${file}` };
  } catch (error) {
    if (error instanceof PriceFileError) throw new ApexError(ErrorCode.INVALID_CONFIG, error.message, { cause: error });
    throw error;
  }
}
