import { useCallback, useEffect, useState, type FormEvent } from "react";
import { count, usd } from "../protocol/money.ts";
import {
  CorpusStatus,
  SyntheticJobStatus,
  type CorpusDetail,
  type CorpusIngestStatus,
  type CorpusListing,
  type SyntheticJob,
  type SyntheticJobStatusName,
} from "../protocol/rest.ts";
import type { ApiClient } from "./api.ts";
import { saveFile } from "./file-download.ts";
import { ProblemLine, usePageProblem } from "./page-problem.tsx";

// A user's datasets (corpora): uploads, demo data and generated sets. Describe one (records, period, models, features,
// and how long it keeps records: its own retention or the server's default), rename it, delete it with its usage rows (after a confirmation), download it as canonical JSONL. Below, the synthetic
// data jobs with their status and progress, refreshed while one is still going. A dataset whose last upload stopped
// early says so, with the records it kept, until the file is uploaded again.

interface CorporaPageProps {
  api: ApiClient;
  /** Called after a rename or deletion: what is loaded has changed. */
  onChanged(): void;
}

const POLL_MS = 2000;
const ACTIVE_JOBS = new Set<SyntheticJobStatusName>([SyntheticJobStatus.PENDING_APPROVAL, SyntheticJobStatus.RUNNING]);

function day(iso: string | null): string {
  return iso === null ? "?" : iso.slice(0, 10);
}

/** The corpus's own retention: how many days of records it keeps, or the server's default. */
function Retention({ corpus, onSave }: { corpus: CorpusDetail; onSave(days: number | null): void }) {
  const [days, setDays] = useState(corpus.retention_days === null ? "" : String(corpus.retention_days));
  const kept = corpus.retention_days;
  return (
    <form
      className="inline-form"
      data-testid="corpus-retention"
      data-days={kept ?? ""}
      onSubmit={(event) => {
        event.preventDefault();
        onSave(Number(days));
      }}
    >
      <span className="small">
        {kept === null ? "Keeps records as long as the server's default retention." : kept === 0 ? "Keeps every record." : `Keeps records for ${count(kept)} days.`}
      </span>
      <input type="number" required min={0} max={36500} step={1} aria-label="Days of records to keep (0: all)" data-testid="corpus-retention-days" value={days} onChange={(e) => setDays(e.target.value)} />
      <button type="submit" className="secondary" data-testid="corpus-retention-save">
        Set days
      </button>
      {kept !== null && (
        <button type="button" className="link" data-testid="corpus-retention-default" onClick={() => onSave(null)}>
          Use the server's default
        </button>
      )}
    </form>
  );
}

/** A dataset whose last ingest stopped early (or is still going): what it kept and what to do. */
function StatusBadge({ corpus }: { corpus: CorpusIngestStatus }) {
  if (corpus.status === CorpusStatus.INGESTING) {
    return (
      <span className="pill pill-queued" data-testid="corpus-ingesting">
        ingesting…
      </span>
    );
  }
  if (corpus.partial === null) return null;
  return (
    <span
      className="pill pill-partial"
      data-testid="corpus-partial"
      data-records-kept={corpus.partial.records_kept}
      title={`The last upload stopped early (${corpus.partial.reason}). Upload the same file again to complete it: the records already kept are skipped.`}
    >
      partial — {count(corpus.partial.records_kept)} records kept, upload again
    </span>
  );
}

function Description({ corpus, onRetention }: { corpus: CorpusDetail; onRetention(days: number | null): void }) {
  return (
    <div className="corpus-details" data-testid="corpus-details">
      <StatusBadge corpus={corpus} />
      <Retention key={`${corpus.corpus}:${corpus.retention_days ?? ""}`} corpus={corpus} onSave={onRetention} />
      <p className="muted small">
        {count(corpus.records)} records · {count(corpus.calls)} calls · {day(corpus.period.from)} to {day(corpus.period.to)} ·{" "}
        {corpus.cost_usd === null ? "cost unknown" : usd(corpus.cost_usd)} · {count(corpus.input_tokens)} input / {count(corpus.output_tokens)} output tokens
      </p>
      <div className="cards">
        {(["models", "features"] as const).map((part) => (
          <div key={part}>
            <h4>{part === "models" ? "Models" : "Features"}</h4>
            <ul className="models">
              {corpus[part].slice(0, 8).map((p) => (
                <li key={p.name ?? "(none)"}>
                  <span>{p.name ?? "(none)"}</span>
                  <span className="muted">{count(p.calls)} calls</span>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
    </div>
  );
}

function JobRow({ job }: { job: SyntheticJob }) {
  const share = job.records_total === 0 ? 0 : job.records_done / job.records_total;
  return (
    <tr data-testid="synthetic-job" data-status={job.status} data-corpus={job.corpus}>
      <td className="small">{new Date(job.created_at).toLocaleString()}</td>
      <td>{job.corpus}</td>
      <td>
        <span className={`pill job-${job.status}`}>{job.status.replace("_", " ")}</span>
        {job.error !== null && <span className="bad small"> {job.error.message}</span>}
      </td>
      <td className="job-progress">
        <progress max={1} value={share} /> <span className="small muted">{count(job.records_done)} / {count(job.records_total)}</span>
      </td>
    </tr>
  );
}

export function CorporaPage({ api, onChanged }: CorporaPageProps) {
  const [corpora, setCorpora] = useState<CorpusListing[]>([]);
  const [jobs, setJobs] = useState<SyntheticJob[]>([]);
  const [open, setOpen] = useState<CorpusDetail | null>(null);
  const [renaming, setRenaming] = useState<{ from: string; to: string } | null>(null);
  const { problem, fail, clear } = usePageProblem();

  const refresh = useCallback(async () => {
    try {
      const [list, jobList] = await Promise.all([api.corpora(), api.syntheticJobs()]);
      setCorpora(list);
      setJobs(jobList);
    } catch (error) {
      fail(error);
    }
  }, [api, fail]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // a job still going lands as a corpus when done: poll until none is
  const active = jobs.some((job) => ACTIVE_JOBS.has(job.status));
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => void refresh(), POLL_MS);
    return () => clearInterval(timer);
  }, [active, refresh]);

  async function act(work: () => Promise<void>) {
    try {
      await work();
      clear();
      await refresh();
      onChanged();
    } catch (error) {
      fail(error);
    }
  }

  function rename(event: FormEvent) {
    event.preventDefault();
    if (renaming === null) return;
    void act(async () => {
      await api.renameCorpus(renaming.from, renaming.to.trim());
      setRenaming(null);
      setOpen(null);
    });
  }

  return (
    <section className="admin-page" data-testid="corpora-page">
      <header className="page-head">
        <h1>Datasets</h1>
        <p className="muted">Your workload corpora: uploads, demo data and generated sets. An analysis can be scoped to one.</p>
      </header>
      <ProblemLine problem={problem} testId="corpora-error" />
      <div className="card">
        {corpora.length === 0 ? (
          <p className="muted">No dataset yet. Upload usage data, load the demo, or ask the chat to generate one.</p>
        ) : (
          <table className="admin-table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Records</th>
                <th>Period</th>
                <th className="num">Cost</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {corpora.map((c) => (
                <tr key={c.corpus} data-testid="corpus" data-corpus={c.corpus} data-status={c.status}>
                  <td>
                    {renaming?.from === c.corpus ? (
                      <form className="inline-form" onSubmit={rename}>
                        <input required pattern="[A-Za-z0-9][A-Za-z0-9._\-]*" aria-label="New name" value={renaming.to} onChange={(e) => setRenaming({ ...renaming, to: e.target.value })} />
                        <button type="submit" className="secondary">
                          Rename
                        </button>
                        <button type="button" className="link" onClick={() => setRenaming(null)}>
                          Cancel
                        </button>
                      </form>
                    ) : (
                      <>
                        <button className="link" onClick={() => void api.corpus(c.corpus).then(setOpen, fail)}>
                          {c.corpus}
                        </button>{" "}
                        <StatusBadge corpus={c} />
                      </>
                    )}
                  </td>
                  <td className="num">{count(c.records)}</td>
                  <td className="small">
                    {day(c.from)} to {day(c.to)}
                  </td>
                  <td className="num">{c.cost_usd === null ? "—" : usd(c.cost_usd)}</td>
                  <td className="row-actions">
                    <button className="link" onClick={() => setRenaming({ from: c.corpus, to: c.corpus })}>
                      Rename
                    </button>
                    <button
                      className="link"
                      data-testid="corpus-export"
                      onClick={() => void api.exportCorpus(c.corpus).then((file) => saveFile(file.blob, file.name), fail)}
                    >
                      Export
                    </button>
                    <button
                      className="link danger-text"
                      onClick={() => {
                        if (window.confirm(`Delete "${c.corpus}" and its ${count(c.records)} records? This cannot be undone.`)) {
                          void act(async () => {
                            await api.deleteCorpus(c.corpus);
                            if (open?.corpus === c.corpus) setOpen(null);
                          });
                        }
                      }}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {open !== null && (
          <>
            <h3>{open.corpus}</h3>
            <Description corpus={open} onRetention={(days) => void act(async () => setOpen(await api.setCorpusRetention(open.corpus, days)))} />
          </>
        )}
      </div>
      <div className="card" data-testid="synthetic-jobs">
        <h2>Synthetic data jobs</h2>
        {jobs.length === 0 ? (
          <p className="muted">None yet. Ask in the chat, e.g. “generate 20k records of a support-chat workload with caching waste”.</p>
        ) : (
          <table className="admin-table">
            <thead>
              <tr>
                <th>Started</th>
                <th>Dataset</th>
                <th>Status</th>
                <th>Progress</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <JobRow key={job.job_id} job={job} />
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
