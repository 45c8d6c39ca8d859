import { useState } from "react";
import type { Thread } from "../protocol/rest.ts";

// The conversations of the signed-in user: new, switch, rename in place, delete (after a confirmation).

export interface ThreadActions {
  create(): Promise<void>;
  rename(id: string, title: string): Promise<void>;
  remove(id: string): Promise<void>;
  select(id: string): void;
}

interface ThreadListProps {
  threads: Thread[];
  selected: string | null;
  actions: ThreadActions;
}

export function ThreadList({ threads, selected, actions }: ThreadListProps) {
  const [editing, setEditing] = useState<string | null>(null);
  const [title, setTitle] = useState("");

  function startRename(thread: Thread) {
    setEditing(thread.id);
    setTitle(thread.title);
  }

  async function finishRename(id: string) {
    const trimmed = title.trim();
    setEditing(null);
    if (trimmed !== "") await actions.rename(id, trimmed);
  }

  return (
    <section className="threads">
      <button className="new-thread" data-testid="new-thread" onClick={() => void actions.create()}>
        + New conversation
      </button>
      <ul data-testid="thread-list">
        {threads.map((thread) => (
          <li key={thread.id} className={thread.id === selected ? "thread active" : "thread"} data-testid="thread" data-thread-id={thread.id}>
            {editing === thread.id ? (
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  void finishRename(thread.id);
                }}
              >
                <input
                  autoFocus
                  aria-label="Conversation title"
                  data-testid="thread-title-input"
                  value={title}
                  maxLength={200}
                  onChange={(e) => setTitle(e.target.value)}
                  onBlur={() => void finishRename(thread.id)}
                  onKeyDown={(e) => {
                    if (e.key === "Escape") setEditing(null);
                  }}
                />
              </form>
            ) : (
              <>
                <button className="thread-title" title={thread.title} onClick={() => actions.select(thread.id)}>
                  {thread.title}
                </button>
                <span className="thread-tools">
                  <button className="icon" title="Rename" aria-label="Rename" data-testid="rename-thread" onClick={() => startRename(thread)}>
                    ✎
                  </button>
                  <button
                    className="icon"
                    title="Delete"
                    aria-label="Delete"
                    data-testid="delete-thread"
                    onClick={() => {
                      if (window.confirm(`Delete "${thread.title}" and its runs?`)) void actions.remove(thread.id);
                    }}
                  >
                    ✕
                  </button>
                </span>
              </>
            )}
          </li>
        ))}
      </ul>
      {threads.length === 0 && <p className="muted small">No conversations yet.</p>}
    </section>
  );
}
