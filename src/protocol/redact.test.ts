import { describe, expect, it } from "vitest";
import { redactUrl } from "./redact.ts";

describe("redactUrl", () => {
  it("hides the password and keeps the rest", () => {
    expect(redactUrl("postgres://app:s3cret@db.internal:5432/apex", "x")).toBe("postgres://app:***@db.internal:5432/apex");
    expect(redactUrl("redis://127.0.0.1:6379", "x")).toBe("redis://127.0.0.1:6379");
  });

  it("shows only the fallback for something that is not a URL", () => {
    expect(redactUrl("not a url with password hunter2", "the configured URL")).toBe("the configured URL");
  });
});
