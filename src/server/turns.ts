// Work that takes turns: at most `size` holders at once, the others waiting first come, first served (the launcher
// stores a burst of messages this way, a few at a time, instead of queueing every query of every message at once).

/** First come, first served turns, at most `size` held at once; each turn is given back once, however often it is. */
export class Turns {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async take(): Promise<() => void> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.#waiting.shift();
      if (next === undefined) this.#free += 1;
      else next();
    };
  }
}
