// Reading the Prometheus text exposition of /metrics in the tests.

/** The value of one sample line, e.g. `apex_runs_finished_total{outcome="run_completed"}`; undefined when absent. */
export function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** The sum of every sample of a family with labels, e.g. all `apex_events_total{…}` lines. */
export function sumOf(text: string, family: string): number {
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${family}{`))
    .reduce((sum, l) => sum + Number(l.split(" ")[1]), 0);
}
