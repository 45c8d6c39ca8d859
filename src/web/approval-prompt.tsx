import { useEffect, useState, type FormEvent } from "react";
import { isApexError } from "../protocol/errors.ts";
import { Decision, ErrorCode, type DecisionName } from "../protocol/names.ts";
import { questionState, type RunQuestion } from "./run-state.ts";

// An agent's `awaiting_input` question in the run card: the prompt and one button per option. "Modify" opens a small
// form whose values go as the answer's payload. Once answered the buttons stay, disabled, with the chosen one marked; a
// question past its deadline shows as expired.

export type Respond = (interruptId: string, decision: DecisionName, payload?: Record<string, unknown>) => Promise<void>;

const LABEL: Record<string, string> = { [Decision.APPROVE]: "Approve", [Decision.MODIFY]: "Modify…", [Decision.DECLINE]: "Decline" };
const STATE_LABEL = { open: "Waiting for you", answered: "Answered", expired: "Expired" } as const;

/** Re-renders when the deadline passes, so an open question turns expired without any event. */
function useNow(deadline: string, active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const left = Date.parse(deadline) - Date.now();
    if (left < 0) return;
    const timer = setTimeout(() => setNow(Date.now()), Math.max(0, Math.min(left + 50, 2 ** 31 - 1)));
    return () => clearTimeout(timer);
  }, [deadline, active, now]);
  return now;
}

function ModifyForm({ onSend, onCancel, busy }: { onSend(payload: Record<string, unknown>): void; onCancel(): void; busy: boolean }) {
  const [records, setRecords] = useState("");
  const [days, setDays] = useState("");
  function submit(event: FormEvent) {
    event.preventDefault();
    const payload: Record<string, unknown> = {};
    if (records.trim() !== "") payload.records = Number(records);
    if (days.trim() !== "") payload.days = Number(days);
    onSend(payload);
  }
  return (
    <form className="approval-modify" data-testid="approval-modify" onSubmit={submit}>
      <label>
        Records
        <input type="number" min={1} step={1} required data-testid="approval-records" value={records} onChange={(e) => setRecords(e.target.value)} />
      </label>
      <label>
        Days <span className="muted small">(optional)</span>
        <input type="number" min={1} max={365} step={1} value={days} onChange={(e) => setDays(e.target.value)} />
      </label>
      <button type="submit" className="primary" data-testid="approval-send" disabled={busy}>
        Send
      </button>
      <button type="button" className="link" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

export function ApprovalPrompt({ question, onRespond }: { question: RunQuestion; onRespond: Respond }) {
  const [busy, setBusy] = useState(false);
  const [modifying, setModifying] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [expiredByServer, setExpiredByServer] = useState(false);
  const now = useNow(question.expiresAt, question.closedAt === null && question.decision === null);
  const state = expiredByServer ? "expired" : questionState(question, now);
  const open = state === "open";

  async function answer(decision: DecisionName, payload?: Record<string, unknown>) {
    setBusy(true);
    setProblem(null);
    try {
      await onRespond(question.interruptId, decision, payload);
      setModifying(false);
    } catch (error) {
      if (isApexError(error) && error.code === ErrorCode.INTERRUPT_EXPIRED) setExpiredByServer(true);
      setProblem(isApexError(error) ? error.message : "The answer could not be sent; try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className={`approval approval-${state}`} data-testid="approval-prompt" data-state={state} data-decision={question.decision ?? ""}>
      <p className="approval-question">
        <span className={`pill pill-question-${state}`}>{STATE_LABEL[state]}</span> {question.prompt}
      </p>
      <div className="approval-options">
        {question.options.map((option) => (
          <button
            key={option}
            className={question.decision === option ? "primary" : "secondary"}
            data-testid="approval-option"
            data-option={option}
            aria-pressed={question.decision === option}
            disabled={!open || busy}
            onClick={() => (option === Decision.MODIFY ? setModifying(true) : void answer(option as DecisionName))}
          >
            {LABEL[option] ?? option}
          </button>
        ))}
        {open && <span className="muted small">Answer by {new Date(question.expiresAt).toLocaleTimeString()}</span>}
      </div>
      {open && modifying && <ModifyForm busy={busy} onCancel={() => setModifying(false)} onSend={(payload) => void answer(Decision.MODIFY, payload)} />}
      {state === "expired" && (
        <p className="notice small" data-testid="approval-expired">
          This question expired before it was answered; ask again to start over.
        </p>
      )}
      {problem !== null && state !== "expired" && (
        <p className="error small" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
