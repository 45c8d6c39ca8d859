import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limiter.ts";

describe("RateLimiter", () => {
  it("serves up to the limit per minute, refuses past it, and calls twice the limit abuse", () => {
    let now = 0;
    const limiter = new RateLimiter(10, () => now);
    const verdicts = Array.from({ length: 21 }, () => limiter.hit("alice"));
    expect(verdicts.slice(0, 10)).toEqual(Array(10).fill("ok"));
    expect(verdicts.slice(10, 20)).toEqual(Array(10).fill("limited"));
    expect(verdicts[20]).toBe("abusive");
    expect(limiter.hit("bob")).toBe("ok"); // per user
    now = 3 * 60_000; // two idle windows later the past no longer counts
    expect(limiter.hit("alice")).toBe("ok");
  });

  it("weighs the previous minute by how much of it still lies in the sliding window", () => {
    let now = 0;
    const limiter = new RateLimiter(10, () => now);
    for (let i = 0; i < 10; i += 1) limiter.hit("alice");
    now = 60_000 + 30_000; // half of the previous window still counts: 5 of its 10
    const verdicts = Array.from({ length: 6 }, () => limiter.hit("alice"));
    expect(verdicts).toEqual(["ok", "ok", "ok", "ok", "ok", "limited"]);
  });

  it("forgets users idle for two minutes", () => {
    let now = 0;
    const limiter = new RateLimiter(1, () => now);
    limiter.hit("alice");
    limiter.hit("alice");
    now = 120_000;
    limiter.prune();
    expect(limiter.hit("alice")).toBe("ok");
  });
});
