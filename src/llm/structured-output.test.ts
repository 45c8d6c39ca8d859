import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { isStrictSchema, objectJsonSchema, parseStructured, toolCall } from "./structured-output.ts";

const Summary = z.object({ summary: z.string(), savings_usd: z.number().nonnegative() });
const output = { name: "spend_summary", schema: Summary };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof ApexError ? error.code : "not an ApexError";
  }
  return undefined;
}

describe("objectJsonSchema", () => {
  it("converts a zod object without the $schema dialect line", () => {
    const json = objectJsonSchema(Summary, "x");
    expect(json).not.toHaveProperty("$schema");
    expect(json).toMatchObject({ type: "object", required: ["summary", "savings_usd"], additionalProperties: false });
  });

  it("refuses schemas the APIs cannot take: non-objects and unrepresentable types", () => {
    expect(codeOf(() => objectJsonSchema(z.array(z.string()), "x"))).toBe(ErrorCode.INVALID_REQUEST);
    expect(codeOf(() => objectJsonSchema(z.object({ when: z.date() }), "x"))).toBe(ErrorCode.INVALID_REQUEST);
  });
});

describe("isStrictSchema", () => {
  it("holds only when every object, nested ones included, is closed with all properties required", () => {
    expect(isStrictSchema(objectJsonSchema(Summary, "x"))).toBe(true);
    expect(isStrictSchema(objectJsonSchema(z.object({ a: z.string().optional() }), "x"))).toBe(false);
    expect(isStrictSchema(objectJsonSchema(z.object({ a: z.array(z.object({ b: z.string() }).loose()) }), "x"))).toBe(false);
  });
});

describe("parseStructured", () => {
  it("decodes and validates a JSON string or an object", () => {
    expect(parseStructured(output, '{"summary":"s","savings_usd":1}', "m")).toEqual({ summary: "s", savings_usd: 1 });
    expect(parseStructured(output, { summary: "s", savings_usd: 2 }, "m")).toEqual({ summary: "s", savings_usd: 2 });
  });

  it("text that is not JSON, or JSON that breaks the schema, is llm_invalid_reply", () => {
    expect(codeOf(() => parseStructured(output, "Sure! Here it is:", "m"))).toBe(ErrorCode.LLM_INVALID_REPLY);
    expect(codeOf(() => parseStructured(output, { summary: "s", savings_usd: -1 }, "m"))).toBe(ErrorCode.LLM_INVALID_REPLY);
  });
});

describe("toolCall", () => {
  it("parses string arguments, treats empty ones as {}, and refuses non-objects", () => {
    expect(toolCall("c1", "t", '{"a":1}', "m")).toEqual({ id: "c1", name: "t", arguments: { a: 1 } });
    expect(toolCall("c2", "t", "", "m").arguments).toEqual({});
    expect(codeOf(() => toolCall("c3", "t", "[1,2]", "m"))).toBe(ErrorCode.LLM_INVALID_REPLY);
    expect(codeOf(() => toolCall("c4", "t", "{broken", "m"))).toBe(ErrorCode.LLM_INVALID_REPLY);
  });
});
