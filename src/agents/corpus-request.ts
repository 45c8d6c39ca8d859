// Reading a request to manage one of the user's datasets: describe it, rename it, or delete it. Listing them is an
// ordinary run (Triage lists them anyway). Names are kept as written: corpus names are case-sensitive.

export type CorpusCommand =
  | { op: "describe"; corpus: string }
  | { op: "rename"; corpus: string; name: string }
  | { op: "delete"; corpus: string };

const NAME = String.raw`["'\x60]?([A-Za-z0-9][A-Za-z0-9._-]{0,99})["'\x60]?`;
const NOUN = String.raw`(?:corpus|dataset|data set)`;
const WHICH = String.raw`(?:the\s+|my\s+)?(?:${NOUN}\s+${NAME}|${NAME}\s+${NOUN})`;
const RENAME = new RegExp(String.raw`\brename\s+(?:the\s+|my\s+)?(?:${NOUN}\s+)?${NAME}(?:\s+${NOUN})?\s+(?:to|as|into)\s+(?:${NOUN}\s+)?${NAME}`, "i");
const DELETE = new RegExp(String.raw`\b(?:delete|remove|drop|erase)\s+${WHICH}`, "i");
const DESCRIBE = new RegExp(String.raw`\b(?:describe|details? (?:of|on|about)|what(?:'s| is) in|tell me about|show me)\s+${WHICH}`, "i");

export function readCorpusCommand(text: string): CorpusCommand | null {
  const rename = RENAME.exec(text);
  if (rename?.[1] !== undefined && rename[2] !== undefined) return { op: "rename", corpus: rename[1], name: rename[2] };
  const remove = DELETE.exec(text);
  const removed = remove?.[1] ?? remove?.[2];
  if (removed !== undefined) return { op: "delete", corpus: removed };
  const describe = DESCRIBE.exec(text);
  const described = describe?.[1] ?? describe?.[2];
  return described === undefined ? null : { op: "describe", corpus: described };
}
