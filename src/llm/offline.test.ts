import { describe, expect, it } from "vitest";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { createOfflineProvider } from "./offline.ts";

describe("offline provider", () => {
  it("declares it can do nothing a model does", () => {
    const offline = createOfflineProvider();
    expect(offline.name).toBe("offline");
    expect(offline.capabilities).toEqual({ freeText: false, structured: false, tools: false });
    expect(Object.isFrozen(offline.capabilities)).toBe(true);
  });

  it("refuses to chat with llm_unavailable instead of inventing a reply", async () => {
    const error = await createOfflineProvider()
      .chat({ messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApexError);
    expect((error as ApexError).code).toBe(ErrorCode.LLM_UNAVAILABLE);
    expect((error as ApexError).message).toContain("offline provider has no model");
  });

  it("passes the start-up check: running without a model is a valid choice", async () => {
    await expect(createOfflineProvider().check()).resolves.toEqual({ provider: "offline", model: "none", latency_ms: 0 });
  });
});
