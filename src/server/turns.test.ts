// Turns: at most `size` holders at once, the next one in arrival order when a turn is given back, and a turn given
// back twice counts once (the launcher gives it back at its ack and again when it returns).
import { describe, expect, it } from "vitest";
import { Turns } from "./turns.ts";

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("turns", () => {
  it("lets `size` through at once and the others in the order they asked", async () => {
    const turns = new Turns(2);
    const order: number[] = [];
    const releases: (() => void)[] = [];
    for (let i = 0; i < 5; i += 1) {
      void turns.take().then((release) => {
        order.push(i);
        releases[i] = release;
      });
    }
    await settle();
    expect(order).toEqual([0, 1]);
    releases[1]?.();
    releases[1]?.(); // given back twice: one turn only
    await settle();
    expect(order).toEqual([0, 1, 2]);
    releases[0]?.();
    releases[2]?.();
    await settle();
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});
