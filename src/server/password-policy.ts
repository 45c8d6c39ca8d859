import { dictionary } from "@zxcvbn-ts/language-common";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";

// What a new password must be, wherever an account gets one (setup, POST /api/users, `apex user create`,
// APEX_ADMIN_PASSWORD): 12 to 1024 characters, not blank, not one character repeated, and not one of the 49,233 common
// passwords of zxcvbn-ts's list (MIT, maintained), nor one of them with only digits or symbols added around it.
// Existing passwords are not re-checked: the policy applies when a password is set.

const MIN_PASSWORD_CHARS = 12;
const MAX_PASSWORD_CHARS = 1024;
/** Fewer distinct characters than this ("aaaaaaaaaaaa", "abababababab") is a pattern, not a password. */
const MIN_DISTINCT_CHARS = 4;

const COMMON: ReadonlySet<string> = new Set(dictionary["passwords-common"]);
/** Digits and symbols people add around a common password to pass a length rule ("password1234", "!!dragon2024"). */
const PADDING = /^[\d\W_]+|[\d\W_]+$/gu;

/** Why `password` may not be set, in words that say what to do; undefined when it may. */
export function passwordProblem(password: string): string | undefined {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_CHARS || chars.length > MAX_PASSWORD_CHARS) {
    return `Choose a password of ${MIN_PASSWORD_CHARS} to ${MAX_PASSWORD_CHARS} characters; a few unrelated words make a good one.`;
  }
  if (password.trim() === "") return "A password cannot be only spaces; choose one of a few unrelated words.";
  if (new Set(chars).size < MIN_DISTINCT_CHARS) return "A password cannot repeat one or two characters; choose one of a few unrelated words.";
  const lower = password.toLowerCase();
  const core = lower.replace(PADDING, "");
  if (COMMON.has(lower) || COMMON.has(core) || COMMON.has(lower.replace(/\s+/gu, ""))) {
    return "This password is on the list of the most common passwords; choose another, e.g. a few unrelated words.";
  }
  return undefined;
}

/** `password` when it may be set; `weak_password` otherwise. */
export function checkPassword(password: string): string {
  const problem = passwordProblem(password);
  if (problem !== undefined) throw new ApexError(ErrorCode.WEAK_PASSWORD, problem);
  return password;
}
