// Waiting on work that may ignore its abort signal: the caller stops waiting the moment the signal aborts.

/** Settles like `work`, or rejects with the signal's reason as soon as `signal` aborts, whichever comes first. */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

export interface Deadline {
  signal: AbortSignal;
  /** Stops the clock (e.g. while a person is asked a question); `resume` restarts it with the time that was left. */
  pause(): void;
  resume(): void;
  dispose(): void;
}

/** An AbortController that aborts with `reason()` after `ms` milliseconds of running time unless disposed first. */
export function timeoutController(ms: number, reason: () => unknown): Deadline {
  const controller = new AbortController();
  let left = ms;
  let since = 0;
  let timer: NodeJS.Timeout | undefined;
  let disposed = false;
  const start = (): void => {
    since = performance.now();
    timer = setTimeout(() => controller.abort(reason()), left);
    timer.unref?.();
  };
  const stop = (): void => {
    clearTimeout(timer);
    timer = undefined;
  };
  start();
  return {
    signal: controller.signal,
    pause: () => {
      if (timer === undefined || controller.signal.aborted) return;
      stop();
      left = Math.max(0, left - (performance.now() - since));
    },
    resume: () => {
      if (timer === undefined && !disposed && !controller.signal.aborted) start();
    },
    dispose: () => {
      disposed = true;
      stop();
    },
  };
}
