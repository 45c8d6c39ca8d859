import { useCallback, useEffect, useState } from "react";
import type { AuditEntry, AuditFilter } from "../protocol/rest.ts";
import type { ApiClient } from "./api.ts";
import { saveFile } from "./file-download.ts";
import { ProblemLine, usePageProblem } from "./page-problem.tsx";

// The audit log (admins): who did what, when, with which parameters (never secrets). Filters by actor, action and
// period; newest first, a page at a time; the same filters export every matching entry as JSONL or CSV.

interface AuditPageProps {
  api: ApiClient;
}

const PAGE = 50;

/** A datetime-local value as the ISO instant the server expects; undefined when empty. */
function instant(local: string): string | undefined {
  return local === "" ? undefined : new Date(local).toISOString();
}

export function AuditPage({ api }: AuditPageProps) {
  const [form, setForm] = useState({ actor: "", action: "", from: "", to: "" });
  const [filter, setFilter] = useState<AuditFilter>({});
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<number | null>(null);
  const { problem, fail, clear } = usePageProblem();

  const load = useCallback(
    async (after: number | null) => {
      try {
        const page = await api.audit(filter, after, PAGE);
        setEntries((list) => (after === null ? page.entries : [...list, ...page.entries]));
        setCursor(page.next_cursor);
        clear();
      } catch (error) {
        fail(error);
      }
    },
    [api, filter, fail, clear],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  async function exportAs(format: "jsonl" | "csv") {
    try {
      const file = await api.auditExport(filter, format);
      saveFile(file.blob, file.name);
    } catch (error) {
      fail(error);
    }
  }

  return (
    <section className="admin-page" data-testid="audit-log">
      <header className="page-head">
        <h1>Audit log</h1>
        <p className="muted">Every admin action and catalog change, and every refused attempt.</p>
      </header>
      <ProblemLine problem={problem} testId="admin-error" />
      <form
        className="inline-form"
        data-testid="audit-filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({
            actor: form.actor.trim() || undefined,
            action: form.action.trim() || undefined,
            from: instant(form.from),
            to: instant(form.to),
          });
        }}
      >
        <input placeholder="Actor (email)" aria-label="Actor" value={form.actor} onChange={(e) => setForm({ ...form, actor: e.target.value })} />
        <input placeholder="Action" aria-label="Action" data-testid="audit-action" value={form.action} onChange={(e) => setForm({ ...form, action: e.target.value })} />
        <input type="datetime-local" aria-label="From" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} />
        <input type="datetime-local" aria-label="To" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} />
        <button type="submit" className="secondary">
          Filter
        </button>
        <span className="spacer" />
        <button type="button" className="secondary" data-testid="audit-export-jsonl" onClick={() => void exportAs("jsonl")}>
          Export JSONL
        </button>
        <button type="button" className="secondary" data-testid="audit-export-csv" onClick={() => void exportAs("csv")}>
          Export CSV
        </button>
      </form>
      <div className="card">
        {entries.length === 0 ? (
          <p className="muted">No entry matches.</p>
        ) : (
          <table className="admin-table">
            <thead>
              <tr>
                <th>When</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Target</th>
                <th>Outcome</th>
                <th>Parameters</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.id} data-testid="audit-entry" data-action={entry.action} data-outcome={entry.outcome}>
                  <td className="small">{new Date(entry.at).toLocaleString()}</td>
                  <td>{entry.actor_email}</td>
                  <td>{entry.action}</td>
                  <td>{entry.target ?? "—"}</td>
                  <td className={entry.outcome === "denied" ? "bad" : ""}>{entry.outcome}</td>
                  <td>
                    <code className="params">{JSON.stringify(entry.params)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {cursor !== null && (
          <button className="secondary" data-testid="audit-more" onClick={() => void load(cursor)}>
            Older entries
          </button>
        )}
      </div>
    </section>
  );
}
