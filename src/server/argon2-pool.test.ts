import { describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/names.ts";
import { Argon2Pool } from "./argon2-pool.ts";

// The bounded pool: `concurrency` hashes at once, a bounded FIFO queue behind them, the rest refused at once.

describe("Argon2Pool", () => {
  it("runs at most `concurrency` at once, queues up to the limit in order, and refuses past it without waiting", async () => {
    const pool = new Argon2Pool({ concurrency: 1, queueLimit: 2 });
    const order: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = pool.run(async () => {
      await gate;
      order.push(1);
    });
    const queued = [2, 3].map((n) => pool.run(async () => void order.push(n)));
    expect(pool.load).toEqual({ running: 1, waiting: 2 });
    await expect(pool.run(async () => order.push(4))).rejects.toMatchObject({ code: ErrorCode.RATE_LIMITED, details: { retry_after_s: 1 } });
    release();
    await Promise.all([first, ...queued]);
    expect(order).toEqual([1, 2, 3]);
    expect(pool.load).toEqual({ running: 0, waiting: 0 });
  });

  it("hashes and verifies, false for a wrong password or a malformed hash; a failing call frees its slot", async () => {
    const pool = new Argon2Pool({ concurrency: 1, queueLimit: 0 });
    const hashed = await pool.hash("violet kettle drums");
    expect(await pool.verify(hashed, "violet kettle drums")).toBe(true);
    expect(await pool.verify(hashed, "violet kettle drum")).toBe(false);
    expect(await pool.verify("not-a-hash", "violet kettle drums")).toBe(false);
    await expect(pool.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(pool.load).toEqual({ running: 0, waiting: 0 });
  });
});
