import { describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/names.ts";
import { checkPassword, passwordProblem } from "./password-policy.ts";

// The policy for a new password: length, not blank, not a repeated character, not a common password (padded or not).

describe("password policy", () => {
  it("refuses what the audit found accepted, and the common tricks around a listed password", () => {
    for (const weak of [" ".repeat(10), " ".repeat(20), "password12", "Password1234", "password1234!", "!!qwertyuiop12", "aaaaaaaaaaaa", "abababababab", "123456789012", "short", "x".repeat(1025)]) {
      expect(passwordProblem(weak), JSON.stringify(weak)).toEqual(expect.any(String));
    }
    let refused: unknown;
    try {
      checkPassword("password1234");
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ code: ErrorCode.WEAK_PASSWORD, message: expect.stringContaining("most common passwords") });
    expect(checkPassword("violet kettle drums")).toBe("violet kettle drums");
  });

  it("accepts passphrases and long random strings", () => {
    for (const good of ["violet kettle drums", "correct horse battery staple", "alice-password-1", "Zq8!vT2#pL9@", "a".repeat(6) + "bcdefghij"]) {
      expect(passwordProblem(good), good).toBeUndefined();
    }
  });
});
