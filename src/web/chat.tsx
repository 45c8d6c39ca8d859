import { useEffect, useRef, useState, type KeyboardEvent, type RefObject } from "react";
import { MAX_MESSAGE_CHARS } from "../protocol/commands.ts";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, type DecisionName } from "../protocol/names.ts";
import type { Message, Thread } from "../protocol/rest.ts";
import type { ApiClient } from "./api.ts";
import type { Connection, ConnectionStatus } from "./connection.ts";
import { RunCard } from "./run-card.tsx";
import type { RunView } from "./run-state.ts";
import type { RunStore } from "./run-store.ts";

// One conversation: its messages, each question followed by the live card of the run it started, and the input. An
// old thread is replayed from the REST log; a run still in flight is followed over the socket from where the log ended.

const EXAMPLES = [
  "Where can I cut my LLM costs?",
  "What did each feature cost last week?",
  "Which models cost the most, and what could replace them?",
  "Are we paying for retries and truncated answers?",
];
const DEFAULT_TITLE = "New conversation";
const TITLE_CHARS = 80;

interface ChatProps {
  api: ApiClient;
  connection: RefObject<Connection | null>;
  status: ConnectionStatus;
  runs: ReadonlyMap<string, RunView>;
  store: RunStore;
  thread: Thread | null;
  /** null while unknown. */
  hasData: boolean | null;
  onThreadStarted(threadId: string): void;
  onGoToData(): void;
  onProblem(error: unknown): void;
}

export function Chat({ api, connection, status, runs, store, thread, hasData, onThreadStarted, onGoToData, onProblem }: ChatProps) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [loading, setLoading] = useState(thread !== null);
  const [text, setText] = useState("");
  const [sending, setSending] = useState(false);
  const bottom = useRef<HTMLDivElement>(null);
  const threadId = thread?.id ?? null;

  useEffect(() => {
    if (threadId === null) return;
    let cancelled = false;
    (async () => {
      const [list, threadRuns] = await Promise.all([api.messages(threadId), api.threadRuns(threadId)]);
      for (const run of threadRuns) {
        store.load(run.id, await api.runEvents(run.id, store.lastSeq(run.id)));
        if (run.ended_at === null) connection.current?.watch(run.id);
      }
      if (!cancelled) setMessages(list);
    })()
      .catch(onProblem)
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [api, store, connection, threadId, onProblem]);

  const lastRunId = [...messages].reverse().find((m) => m.run_id !== null)?.run_id ?? null;
  const lastRun = lastRunId === null ? undefined : runs.get(lastRunId);
  const running = lastRun !== undefined && lastRun.status === "running";

  useEffect(() => {
    bottom.current?.scrollIntoView({ block: "end" });
  }, [messages.length, lastRun?.lastSeq]);

  async function send(question: string) {
    const trimmed = question.trim();
    const socket = connection.current;
    if (trimmed === "" || socket === null || sending) return;
    setSending(true);
    try {
      const { runId, threadId: started, queuePosition } = await socket.ask(trimmed, threadId ?? undefined);
      if (queuePosition > 0) store.queued(runId, queuePosition);
      setMessages((list) => [...list, { id: -Date.now(), role: "user", content: trimmed, run_id: runId, created_at: new Date().toISOString() }]);
      setText("");
      if (thread !== null && thread.title === DEFAULT_TITLE && messages.length === 0) {
        await api.renameThread(thread.id, trimmed.slice(0, TITLE_CHARS));
      }
      if (started !== threadId || thread?.title === DEFAULT_TITLE) onThreadStarted(started);
    } catch (error) {
      onProblem(error);
    } finally {
      setSending(false);
    }
  }

  /** Sends the answer to a run's question; the store keeps the decision so the card shows it. Errors go to the card. */
  async function respond(interruptId: string, decision: DecisionName, payload?: Record<string, unknown>) {
    const socket = connection.current;
    if (socket === null) throw new ApexError(ErrorCode.INTERNAL, "Not connected to the server yet; wait for the connection and try again.");
    await socket.respond(interruptId, decision, payload);
    const run = [...runs.values()].find((r) => r.question?.interruptId === interruptId);
    if (run !== undefined) store.decide(run.runId, interruptId, decision);
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send(text);
    }
  }

  const empty = !loading && messages.length === 0;
  return (
    <section className="chat">
      <div className="messages" data-testid="messages">
        {empty && (
          <div className="welcome">
            <h2>What would you like to know about your LLM spend?</h2>
            <p className="muted">Apex reads your usage logs, finds the waste and tells you what to change. Try one of these:</p>
            <div className="examples">
              {EXAMPLES.map((example) => (
                <button key={example} className="example" data-testid="example-prompt" disabled={status !== "open" || sending} onClick={() => void send(example)}>
                  {example}
                </button>
              ))}
            </div>
          </div>
        )}
        {hasData === false && (
          <div className="callout" data-testid="no-data">
            <strong>No usage data yet.</strong> Upload your logs, or load a month of demo data to see Apex at work in one click.
            <button className="secondary" onClick={onGoToData}>
              Load data
            </button>
          </div>
        )}
        {loading && <p className="muted">Loading the conversation…</p>}
        {messages.map((message) => {
          const run = message.run_id === null ? undefined : runs.get(message.run_id);
          if (message.role === "user") {
            return (
              <div key={message.id}>
                <div className="bubble user">{message.content}</div>
                {message.run_id !== null && (
                  <RunCard run={run} onStop={() => void connection.current?.cancel(message.run_id ?? "").catch(onProblem)} onRespond={respond} />
                )}
              </div>
            );
          }
          // The assistant's answer is the report the run card already shows; older answers without events stay text.
          if (run !== undefined && run.events.length > 0) return null;
          return (
            <div key={message.id} className="bubble assistant">
              {message.content}
            </div>
          );
        })}
        <div ref={bottom} />
      </div>
      <form
        className="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send(text);
        }}
      >
        <textarea
          data-testid="chat-input"
          placeholder={status === "open" ? "Ask about your LLM costs… (Enter to send, Shift+Enter for a new line)" : "Waiting for the connection…"}
          value={text}
          rows={2}
          maxLength={MAX_MESSAGE_CHARS}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
        />
        {running ? (
          <button
            type="button"
            className="danger"
            data-testid="stop"
            onClick={() => void connection.current?.cancel(lastRun.runId).catch(onProblem)}
          >
            Stop
          </button>
        ) : (
          <button type="submit" className="primary" data-testid="send" disabled={status !== "open" || sending || text.trim() === ""}>
            Send
          </button>
        )}
      </form>
    </section>
  );
}
