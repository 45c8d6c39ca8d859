import { describe, expect, it } from "vitest";
import { backoffDelay, socketUrl } from "./connection.ts";

// The socket itself is tested against a real server in test/web/connection.test.ts; here, the arithmetic.

describe("reconnect backoff", () => {
  const pinned = (random: number) => ({ baseMs: 500, capMs: 30_000, random: () => random });

  it("doubles per attempt, with half of each delay random (equal jitter)", () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, pinned(0)))).toEqual([250, 500, 1000, 2000]);
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, pinned(0.999_999)))).toEqual([500, 1000, 2000, 4000].map((d) => expect.closeTo(d, 1)));
  });

  it("is capped, so a long outage retries every cap/2..cap", () => {
    expect(backoffDelay(30, pinned(0))).toBe(15_000);
    expect(backoffDelay(1_000, pinned(0.5))).toBe(22_500);
  });

  it("derives the socket URL from the page origin", () => {
    expect(socketUrl("https://apex.example.com")).toBe("wss://apex.example.com/ws");
    expect(socketUrl("http://127.0.0.1:3999")).toBe("ws://127.0.0.1:3999/ws");
  });
});
