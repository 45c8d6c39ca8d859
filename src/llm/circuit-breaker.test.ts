import { describe, expect, it } from "vitest";
import { CircuitBreaker, type OpenCircuit } from "./circuit-breaker.ts";

class OpenError extends Error {
  constructor(readonly open: OpenCircuit) {
    super("circuit open");
  }
}

const down = new Error("endpoint down");
const callerMistake = new Error("bad request");

function breaker(clock: { now: number }, threshold = 3, coolDownMs = 1_000): CircuitBreaker {
  return new CircuitBreaker({
    failureThreshold: threshold,
    coolDownMs,
    isFailure: (error) => error === down,
    openError: (open) => new OpenError(open),
    now: () => clock.now,
  });
}

const fail = (error: Error) => async (): Promise<never> => {
  throw error;
};

describe("CircuitBreaker", () => {
  it("opens after N consecutive failures and then fails fast without calling", async () => {
    const clock = { now: 10_000 };
    const circuit = breaker(clock);
    for (let i = 0; i < 3; i++) await expect(circuit.run(fail(down))).rejects.toBe(down);
    expect(circuit.state()).toBe("open");
    let called = false;
    const error = await circuit
      .run(async () => {
        called = true;
      })
      .catch((e: unknown) => e);
    expect(called).toBe(false);
    expect(error).toBeInstanceOf(OpenError);
    expect((error as OpenError).open).toEqual({ failures: 3, trialAt: 11_000 });
  });

  it("a success resets the count: failures must be consecutive", async () => {
    const clock = { now: 0 };
    const circuit = breaker(clock);
    await expect(circuit.run(fail(down))).rejects.toBe(down);
    await expect(circuit.run(fail(down))).rejects.toBe(down);
    await circuit.run(async () => "ok");
    await expect(circuit.run(fail(down))).rejects.toBe(down);
    await expect(circuit.run(fail(down))).rejects.toBe(down);
    expect(circuit.state()).toBe("closed");
  });

  it("errors that are not the endpoint's fault do not count", async () => {
    const circuit = breaker({ now: 0 }, 1);
    await expect(circuit.run(fail(callerMistake))).rejects.toBe(callerMistake);
    expect(circuit.state()).toBe("closed");
  });

  it("after the cool-down lets exactly one trial through, and closes when it succeeds", async () => {
    const clock = { now: 0 };
    const circuit = breaker(clock, 1, 500);
    await expect(circuit.run(fail(down))).rejects.toBe(down);
    clock.now = 499;
    await expect(circuit.run(async () => "early")).rejects.toBeInstanceOf(OpenError);
    clock.now = 500;
    expect(circuit.state()).toBe("half_open");
    let release: (value: string) => void = () => undefined;
    const trial = circuit.run(() => new Promise<string>((resolve) => (release = resolve)));
    const second = await circuit.run(async () => "second").catch((e: unknown) => e);
    expect((second as OpenError).open.trialAt).toBeNull();
    release("trial ok");
    await expect(trial).resolves.toBe("trial ok");
    expect(circuit.state()).toBe("closed");
    await expect(circuit.run(async () => "normal")).resolves.toBe("normal");
  });

  it("a failed trial opens it again for a full cool-down", async () => {
    const clock = { now: 0 };
    const circuit = breaker(clock, 2, 500);
    await expect(circuit.run(fail(down))).rejects.toBe(down);
    await expect(circuit.run(fail(down))).rejects.toBe(down);
    clock.now = 600;
    await expect(circuit.run(fail(down))).rejects.toBe(down);
    expect(circuit.state()).toBe("open");
    const error = (await circuit.run(async () => "x").catch((e: unknown) => e)) as OpenError;
    expect(error.open.trialAt).toBe(1_100);
  });

  it("rejects a nonsensical configuration", () => {
    expect(() => breaker({ now: 0 }, 0)).toThrow(RangeError);
  });
});
