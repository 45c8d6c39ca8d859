// Evaluation of the pipeline (Apex issue 5): planted-waste workloads for several scenarios and seeds, ingested into
// DuckDB in memory, the agent pipeline run on each (or the analysis tools alone with --direct), and per opportunity
// kind: recall (planted kinds found with the right feature and model), precision (reported kinds that were not planted,
// the no-waste scenarios included) and the savings error against the answer key. Prints the table and writes it into
// bench/README.md between the eval markers.
// Run: npm run eval [-- --records 50000 --seeds 1,2,3 --days 30 --direct]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openUsageStore } from "../src/analytics/open-usage-store.ts";
import { PriceBook } from "../src/pricing/price-book.ts";
import { type KindSummary, type RunScore, summarize, summaryTable } from "../src/tools/evaluation.ts";
import { registerApexAgents } from "../src/agents/catalog.ts";
import { ApexError } from "../src/protocol/errors.ts";
import { ErrorCode, EventType } from "../src/protocol/names.ts";
import type { Opportunity } from "../src/protocol/report.ts";
import type { Agent } from "../src/runtime/agent.ts";
import { ExecutionEngineFactory } from "../src/runtime/engine-factory.ts";
import { MemoryEventSink } from "../src/runtime/event-sink.ts";
import { Registry } from "../src/runtime/registry.ts";
import type { AnyTool } from "../src/runtime/tool.ts";
import { registerApexTools } from "../src/tools/catalog.ts";
import { type Analyse, analyseWithTools, type EvalCase, runEvalCase } from "../src/tools/evaluation-run.ts";
import type { ApexServices } from "../src/tools/services.ts";
import { EVAL_SCENARIOS } from "../src/tools/evaluation-scenarios.ts";

const README = join(import.meta.dirname, "README.md");
const START = "<!-- eval:start -->";
const END = "<!-- eval:end -->";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const RECORDS = Number(arg("records", "50000"));
const DAYS = Number(arg("days", "30"));
const SEEDS = arg("seeds", "1,2,3").split(",").map(Number);
/** `--direct` calls the analysis tools directly instead of running the agent pipeline. */
const DIRECT = process.argv.includes("--direct");
const QUESTION = "Where can I cut my LLM costs?";

/** The whole agent pipeline (Triage → Data → Optimize → Actions → Report) on the owner's data; the report's opportunities. */
const analyseWithPipeline: Analyse = async (owner, services) => {
  const agents = registerApexAgents(new Registry<Agent<ApexServices>>("agent"));
  const tools = registerApexTools(new Registry<AnyTool<ApexServices>>("tool"));
  const sink = new MemoryEventSink();
  const factory = new ExecutionEngineFactory<ApexServices>({ agents, tools, sink, services });
  const handle = factory.start({ userId: owner, threadId: "evaluation", request: QUESTION });
  const outcome = await handle.done;
  const report = sink.events(handle.runId, owner).find((e) => e.type === EventType.FINAL_REPORT);
  if (outcome.status !== "completed" || report?.type !== EventType.FINAL_REPORT) {
    throw outcome.error ?? new ApexError(ErrorCode.INTERNAL, `The pipeline ended as ${outcome.status} without a report.`);
  }
  return report.data.report.opportunities as Opportunity[];
};

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function runsTable(rows: readonly { c: EvalCase; score: RunScore; ms: number; analysisMs: number }[]): string {
  const lines = [
    `| scenario | seed | records | planted kinds | found | false positives | ${DIRECT ? "analyses" : "pipeline run"} (ms) | case total (ms) |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const { c, score, ms, analysisMs } of rows) {
    const fp = Object.values(score.unmatched).reduce((a, b) => a + b, 0);
    lines.push(
      `| ${c.label} | ${c.seed} | ${c.records.toLocaleString("en-US")} | ${score.planted.filter((p) => p.expected).length} | ` +
        `${score.planted.filter((p) => p.expected && p.found).length} | ${fp} | ${Math.round(analysisMs)} | ${Math.round(ms)} |`,
    );
  }
  return lines.join("\n");
}

function section(summaries: readonly KindSummary[], runs: string, cases: number): string {
  const pass = summaries.every((s) => s.pass);
  return [
    `${EVAL_SCENARIOS.length} scenarios x ${SEEDS.length} seeds (${cases} workloads of ${RECORDS.toLocaleString("en-US")} ` +
      `records over ${DAYS} days), each ingested into DuckDB in memory and analysed ` +
      (DIRECT
        ? "by the eight analysis tools called directly (`--direct`). "
        : `by the whole agent pipeline (Triage → Data → Optimize → Actions → Report, offline provider) asked "${QUESTION}"; the opportunities are those of its final report. `) +
      `Scenarios: ${EVAL_SCENARIOS.map((s) => `\`${s.label}\` (${s.description})`).join("; ")}.`,
    "",
    "Recall: planted opportunities found with the same feature and model (a planted kind whose true savings are not " +
      "positive is no opportunity and is not counted). Precision: findings that match a planted opportunity worth fixing " +
      "(on `clean` every finding is a false positive). Savings error: (estimated - true) / true monthly " +
      "savings of the answer key. Acceptance: recall and precision >= 95% per kind, |error| <= 10% (model_rightsizing 25%).",
    "",
    summaryTable(summaries),
    "",
    runs,
    "",
    `Result: ${pass ? "every kind passes" : "**some kinds fail** (see the table)"}. Generated by \`npm run eval\` on ${new Date().toISOString().slice(0, 10)}.`,
  ].join("\n");
}

async function main(): Promise<void> {
  const book = new PriceBook();
  const store = await openUsageStore({ path: ":memory:" });
  const scores: RunScore[] = [];
  const rows: { c: EvalCase; score: RunScore; ms: number; analysisMs: number }[] = [];
  try {
    for (const scenario of EVAL_SCENARIOS) {
      for (const seed of SEEDS) {
        const c: EvalCase = { ...scenario, seed, records: RECORDS, days: DAYS };
        const started = performance.now();
        const outcome = await runEvalCase(c, book, store, DIRECT ? analyseWithTools : analyseWithPipeline);
        const ms = performance.now() - started;
        scores.push(outcome.score);
        rows.push({ c, score: outcome.score, ms, analysisMs: outcome.analysisMs });
        log(`${c.label} seed ${seed}: ${outcome.ingested} records, ${outcome.opportunities.length} findings, ${Math.round(ms)} ms`);
      }
    }
  } finally {
    await store.close();
  }
  const summaries = summarize(scores);
  const text = section(summaries, runsTable(rows), rows.length);
  log(`\n${text}\n`);
  const readme = readFileSync(README, "utf8");
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  const updated =
    start >= 0 && end > start
      ? `${readme.slice(0, start + START.length)}\n${text}\n${readme.slice(end)}`
      : `${readme.trimEnd()}\n\n${START}\n${text}\n${END}\n`;
  writeFileSync(README, updated);
  log(`wrote the table into ${README}`);
  if (!summaries.every((s) => s.pass)) process.exitCode = 1;
}

await main();
