import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { classifyProviderError, redact, retryAfterMs } from "./provider-error.ts";

const endpoint = { label: "openai (m at http://h/v1)", baseURL: "http://h/v1", model: "m", apiKey: "sk-secret-value-123" };
const httpError = (status: number, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`${status} upstream said no`), { status, headers: new Headers(headers) });

describe("classifyProviderError", () => {
  it("maps statuses to codes and retryability", () => {
    const cases: [number, string, boolean][] = [
      [400, ErrorCode.INVALID_REQUEST, false],
      [401, ErrorCode.LLM_UNAVAILABLE, false],
      [403, ErrorCode.LLM_UNAVAILABLE, false],
      [404, ErrorCode.LLM_UNAVAILABLE, false],
      [422, ErrorCode.INVALID_REQUEST, false],
      [408, ErrorCode.LLM_UNAVAILABLE, true],
      [429, ErrorCode.LLM_UNAVAILABLE, true],
      [500, ErrorCode.LLM_UNAVAILABLE, true],
      [503, ErrorCode.LLM_UNAVAILABLE, true],
      [529, ErrorCode.LLM_UNAVAILABLE, true],
    ];
    for (const [status, code, retryable] of cases) {
      const error = classifyProviderError(httpError(status), endpoint);
      expect([status, error.code, error.retryable]).toEqual([status, code, retryable]);
    }
  });

  it("prefers the provider's own message from the body", () => {
    const body = JSON.parse(readFileSync(new URL("./fixtures/anthropic-error-500.json", import.meta.url), "utf8")).body;
    const error = Object.assign(httpError(500), { error: body });
    expect(classifyProviderError(error, endpoint).message).toContain("(Internal server error)");
  });

  it("passes our own errors through unchanged", () => {
    const ours = new ApexError(ErrorCode.CANCELLED, "stop");
    expect(classifyProviderError(ours, endpoint)).toBe(ours);
  });

  it("a network failure names the innermost cause and is retryable", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const error = classifyProviderError(new Error("Connection error.", { cause: new TypeError("fetch failed", { cause: refused }) }), endpoint);
    expect(error.code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("(ECONNREFUSED)");
  });

  it("never repeats the key, even when the upstream message does", () => {
    const error = Object.assign(httpError(401), { message: "Incorrect API key provided: sk-secret-value-123" });
    expect(classifyProviderError(error, endpoint).message).not.toContain("secret-value");
  });
});

describe("redact", () => {
  it("removes the exact key and key-shaped tokens", () => {
    expect(redact("key abc123XYZ! was bad", "abc123XYZ!")).toBe("key [redacted] was bad");
    expect(redact("Incorrect API key provided: sk-proj-ab****yz12.", undefined)).toBe("Incorrect API key provided: [redacted]");
    expect(redact("model gpt-4o-mini not found", undefined)).toBe("model gpt-4o-mini not found");
  });
});

describe("retryAfterMs", () => {
  it("reads retry-after-ms, then retry-after as seconds or an HTTP date", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(250);
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2_000);
    const now = Date.parse("2026-11-24T12:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after": "Tue, 24 Nov 2026 12:00:05 GMT" }), now)).toBe(5_000);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
