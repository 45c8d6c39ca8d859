// A benchmark's forked client process takes its orders from the parent over IPC and answers each with one reply (or
// `failed` with the error's message); it exits when the parent is gone, since nothing is left to measure.

export type FailedReply = { op: "failed"; message: string };

export function obeyParent<O, R>(obey: (order: O) => Promise<R>): void {
  process.on("disconnect", () => process.exit(0));
  process.on("message", (order: O) => {
    void obey(order).then(
      (reply) => process.send?.(reply),
      (error: unknown) => process.send?.({ op: "failed", message: error instanceof Error ? error.message : String(error) } satisfies FailedReply),
    );
  });
}
