// A circuit breaker, generic over the call: after `failureThreshold` consecutive failures it opens and calls fail fast
// for `coolDownMs`, so a dead endpoint costs nothing per call; then one trial call decides whether it closes again.

export type CircuitState = "closed" | "open" | "half_open";

export interface OpenCircuit {
  /** Consecutive failures that opened the circuit. */
  failures: number;
  /** Epoch ms when a trial call will be let through; null while a trial call is already running. */
  trialAt: number | null;
}

export interface CircuitBreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
  /** Which errors count against the endpoint (a cancelled or malformed request does not). */
  isFailure(error: unknown): boolean;
  /** The error thrown instead of calling while the circuit is open. */
  openError(open: OpenCircuit): Error;
  now?: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private trialRunning = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    if (!(options.failureThreshold >= 1) || !(options.coolDownMs >= 0)) {
      throw new RangeError("CircuitBreaker needs failureThreshold >= 1 and coolDownMs >= 0");
    }
    this.now = options.now ?? Date.now;
  }

  state(): CircuitState {
    if (this.openedAt === null) return "closed";
    return this.trialRunning || this.now() >= this.openedAt + this.options.coolDownMs ? "half_open" : "open";
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const trial = this.admit();
    try {
      const value = await call();
      this.failures = 0;
      this.openedAt = null;
      return value;
    } catch (error) {
      if (this.options.isFailure(error)) this.recordFailure();
      throw error;
    } finally {
      if (trial) this.trialRunning = false;
    }
  }

  /** Lets the call through (true when it is the half-open trial) or throws the open-circuit error. */
  private admit(): boolean {
    if (this.openedAt === null) return false;
    const trialAt = this.openedAt + this.options.coolDownMs;
    if (this.trialRunning || this.now() < trialAt) {
      throw this.options.openError({ failures: this.failures, trialAt: this.trialRunning ? null : trialAt });
    }
    this.trialRunning = true;
    return true;
  }

  private recordFailure(): void {
    this.failures += 1;
    if (this.openedAt !== null || this.failures >= this.options.failureThreshold) this.openedAt = this.now();
  }
}
