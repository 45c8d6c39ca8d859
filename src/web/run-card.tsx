import { useState } from "react";
import { AgentName, ErrorCode } from "../protocol/names.ts";
import { ApprovalPrompt, type Respond } from "./approval-prompt.tsx";
import { ReportView } from "./report-view.tsx";
import { queueLabel, type AgentStep, type RunView, type ToolCall } from "./run-state.ts";

// The live card of one run, drawn only from its protocol events: the pipeline with the current agent highlighted, the
// agent's current thought, the tool calls, errors where they happened, and once the run is over a one-line summary
// (expandable to the details) above the report. A question the run asks (`awaiting_input`) shows as buttons.

const AGENT_LABEL: Record<string, string> = {
  [AgentName.TRIAGE]: "Triage",
  [AgentName.DATA_GUIDE]: "Data Guide",
  [AgentName.DATA]: "Data",
  [AgentName.OPTIMIZE]: "Optimize",
  [AgentName.ACTIONS]: "Actions",
  [AgentName.REPORT]: "Report",
  [AgentName.CORPUS_ADMIN]: "Corpus Admin",
  [AgentName.SYNTHETIC_DATA]: "Synthetic Data",
};

const STATUS_LABEL: Record<RunView["status"], string> = {
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

function agentLabel(agent: string): string {
  return AGENT_LABEL[agent] ?? agent;
}

function duration(ms: number | null): string {
  if (ms === null) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function Step({ step, current }: { step: AgentStep; current: boolean }) {
  return (
    <li className={`step step-${step.state}${current ? " current" : ""}`} data-testid="agent-step" data-agent={step.agent} data-state={step.state} title={step.summary ?? ""}>
      <span className="step-dot" aria-hidden="true" />
      <span className="step-name">{agentLabel(step.agent)}</span>
      {step.durationMs !== null && <span className="step-time">{duration(step.durationMs)}</span>}
    </li>
  );
}

function ToolChip({ call }: { call: ToolCall }) {
  return (
    <li className={`tool tool-${call.state}`} data-testid="tool-chip" data-state={call.state} data-tool={call.tool} title={call.error?.message ?? agentLabel(call.agent)}>
      <span className="tool-mark" aria-hidden="true">
        {call.state === "running" ? "◌" : call.state === "done" ? "✓" : "✕"}
      </span>
      {call.tool}
      {call.durationMs !== null && <span className="tool-time">{duration(call.durationMs)}</span>}
    </li>
  );
}

function Details({ run }: { run: RunView }) {
  return (
    <>
      <ol className="timeline">
        {run.steps.map((step) => (
          <Step key={step.agent} step={step} current={step.agent === run.currentAgent} />
        ))}
      </ol>
      {run.thought !== null && run.thought !== run.question?.prompt && (
        <p className="thought" data-testid="agent-thinking">
          <span className="spinner" aria-hidden="true" /> {run.currentAgent !== null && <strong>{agentLabel(run.currentAgent)}: </strong>}
          {run.thought}
        </p>
      )}
      {run.tools.length > 0 && (
        <ul className="tools">
          {run.tools.map((call) => (
            <ToolChip key={call.id} call={call} />
          ))}
        </ul>
      )}
    </>
  );
}

interface RunCardProps {
  run: RunView | undefined;
  onStop(): void;
  onRespond: Respond;
}

export function RunCard({ run, onStop, onRespond }: RunCardProps) {
  const [expanded, setExpanded] = useState(false);
  if (run !== undefined && run.lastSeq === 0 && run.queuePosition !== null) {
    // Waiting its turn on the server: the place in line, until run_started.
    return (
      <div className="run-card" data-testid="run-card" data-state="queued" data-run-id={run.runId}>
        <header className="run-head">
          <span className="pill pill-queued">Queued</span>
          <span className="muted small" data-testid="run-queue-position" data-position={run.queuePosition}>
            {queueLabel(run.queuePosition)}
          </span>
          <button className="link danger-link" onClick={onStop}>
            Stop
          </button>
        </header>
      </div>
    );
  }
  if (run === undefined || run.lastSeq === 0) {
    return (
      <div className="run-card" data-testid="run-card" data-state="starting">
        <p className="muted">
          <span className="spinner" aria-hidden="true" /> Starting the analysis…
        </p>
      </div>
    );
  }
  const finished = run.status !== "running";
  // a cancelled run's interrupted agent reports `cancelled`: the notice below says it once; likewise an agent cut off by
  // a server that stopped repeats the run's own `interrupted` error
  const problems =
    run.status === "cancelled"
      ? run.problems.filter((p) => p.error.code !== ErrorCode.CANCELLED)
      : run.problems.filter((p) => p.agent === null || p.error.code !== ErrorCode.INTERRUPTED);
  const doneSteps = run.steps.filter((s) => s.state === "done").length;
  // Steps skipped so far (the agents that do not apply to this request) do not count towards the progress.
  const liveSteps = run.steps.filter((s) => s.state !== "skipped");
  const currentStep = liveSteps.findIndex((s) => s.state === "pending" || s.state === "running");
  return (
    <div className={`run-card run-${run.status}`} data-testid="run-card" data-state={run.status} data-run-id={run.runId}>
      <header className="run-head">
        <span className={`pill pill-${run.status}`}>{STATUS_LABEL[run.status]}</span>
        {finished ? (
          <button className="link" data-testid="run-summary-toggle" aria-expanded={expanded} onClick={() => setExpanded(!expanded)}>
            {doneSteps} of {liveSteps.length} agents · {run.tools.length} tool calls
            {run.durationMs !== null && ` · ${duration(run.durationMs)}`} {expanded ? "▴" : "▾"}
          </button>
        ) : (
          <>
            <span className="muted small">
              Step {currentStep === -1 ? liveSteps.length : currentStep + 1} of {liveSteps.length}
            </span>
            <button className="link danger-link" onClick={onStop}>
              Stop
            </button>
          </>
        )}
      </header>
      {(!finished || expanded) && <Details run={run} />}
      {run.question !== null && <ApprovalPrompt question={run.question} onRespond={onRespond} />}
      {problems.map((problem, i) => (
        <p key={i} className="error" role="alert" data-testid="run-error">
          {problem.agent !== null && <strong>{agentLabel(problem.agent)}: </strong>}
          {problem.error.message}
        </p>
      ))}
      {run.status === "cancelled" && (
        <p className="notice" data-testid="run-cancelled">
          Stopped{run.cancelledAt !== null ? ` during ${agentLabel(run.cancelledAt)}` : ""}. Ask again to run a new analysis.
        </p>
      )}
      {run.partial !== "" && run.report === null && <p className="partial">{run.partial}</p>}
      {run.report !== null && <ReportView report={run.report} />}
    </div>
  );
}
