import { useCallback, useEffect, useRef, useState, type DragEvent } from "react";
import { isApexError } from "../protocol/errors.ts";
import { count, usd } from "../protocol/money.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { IngestSummary } from "../protocol/ingest-summary.ts";
import type { QuotaReport, UsageSummary } from "../protocol/rest.ts";
import { FORMAT_NAMES, type FormatName } from "../protocol/usage-formats.ts";
import type { ApiClient } from "./api.ts";
import { uploadUsage, type UploadProgress } from "./upload.ts";

// The user's usage data: upload files (drop or pick; format detected or chosen) with upload progress and the ingest
// summary, rejected lines included; one click for a month of demo data; what is loaded now; and today's record quota.

interface DataPageProps {
  api: ApiClient;
  usage: UsageSummary | null;
  onLoaded(): void;
}

type Job = { kind: "idle" } | { kind: "uploading"; file: string; progress: UploadProgress } | { kind: "ingesting"; file: string } | { kind: "demo" };

function day(iso: string | null): string {
  return iso === null ? "?" : iso.slice(0, 10);
}

function Summary({ summary, source }: { summary: IngestSummary; source: string }) {
  return (
    <div className="ingest-summary" data-testid="ingest-summary">
      <h3>Loaded {source}</h3>
      <dl className="facts">
        <div>
          <dt>Format</dt>
          <dd>{summary.format}</dd>
        </div>
        <div>
          <dt>Records ingested</dt>
          <dd className="good">{count(summary.ingested)}</dd>
        </div>
        <div>
          <dt>Duplicates skipped</dt>
          <dd>{count(summary.duplicates)}</dd>
        </div>
        <div>
          <dt>Rejected lines</dt>
          <dd className={summary.rejected > 0 ? "bad" : ""}>{count(summary.rejected)}</dd>
        </div>
        <div>
          <dt>Time</dt>
          <dd>{(summary.duration_ms / 1000).toFixed(1)} s</dd>
        </div>
      </dl>
      {summary.unpriced_models.length > 0 && (
        <p className="notice">
          {count(summary.unpriced_records)} records use models without a price: {summary.unpriced_models.join(", ")}. Their cost is
          reported as unknown.
        </p>
      )}
      {summary.rejections.length > 0 && (
        <details open={summary.rejections.length <= 5}>
          <summary>Why lines were rejected{summary.rejected > summary.rejections.length ? ` (first ${summary.rejections.length})` : ""}</summary>
          <ul className="rejections" data-testid="rejections">
            {summary.rejections.map((r) => (
              <li key={r.line}>
                <span className="line">line {r.line}</span> {r.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** "12,000 of 100,000 records today · resets at 14:00" (or unlimited). */
function QuotaLine({ quotas }: { quotas: QuotaReport }) {
  const { limit, used, resets_at } = quotas.records_per_day;
  const full = limit !== null && used >= limit;
  return (
    <p className={full ? "quota-line bad" : "quota-line muted small"} data-testid="quota-line">
      {limit === null ? `${count(used)} records ingested today (no limit on the ${quotas.tier} tier)` : `${count(used)} of ${count(limit)} records ingested today (${quotas.tier} tier)`}
      {resets_at !== null && ` · resets at ${new Date(resets_at).toLocaleString()}`}
    </p>
  );
}

/** What a refused load says: a quota refusal names itself, the server's message says when it resets. */
function loadFailure(error: unknown): string {
  if (!isApexError(error)) return "The data could not be loaded; try again.";
  return error.code === ErrorCode.QUOTA_EXCEEDED ? `Quota reached: ${error.message}` : error.message;
}

export function DataPage({ api, usage, onLoaded }: DataPageProps) {
  const [format, setFormat] = useState<FormatName | "auto">("auto");
  const [job, setJob] = useState<Job>({ kind: "idle" });
  const [result, setResult] = useState<{ summary: IngestSummary; source: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [quotas, setQuotas] = useState<QuotaReport | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const busy = job.kind !== "idle";

  // the quota line is a help, not a requirement: if it cannot be read the page works without it
  const refreshQuotas = useCallback(() => void api.quotas().then(setQuotas, () => setQuotas(null)), [api]);
  useEffect(refreshQuotas, [refreshQuotas]);

  async function run(source: string, work: () => Promise<IngestSummary>) {
    setError(null);
    setResult(null);
    try {
      setResult({ summary: await work(), source });
      onLoaded();
    } catch (caught) {
      setError(loadFailure(caught));
    } finally {
      setJob({ kind: "idle" });
      refreshQuotas();
    }
  }

  function upload(file: File) {
    setJob({ kind: "uploading", file: file.name, progress: { loaded: 0, total: file.size } });
    void run(file.name, () =>
      uploadUsage(api, file, format, (progress) =>
        // once every byte is sent the server is still reading and pricing the file
        setJob(progress.loaded >= progress.total ? { kind: "ingesting", file: file.name } : { kind: "uploading", file: file.name, progress }),
      ),
    );
  }

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file !== undefined && !busy) upload(file);
  }

  return (
    <section className="data-page" data-testid="data-page">
      <header className="page-head">
        <h1>Usage data</h1>
        <p className="muted">Apex analyses the LLM calls you load here. Files stay on this server.</p>
        {quotas !== null && <QuotaLine quotas={quotas} />}
      </header>

      <div className="cards">
        <div className="card demo-card">
          <h2>Try it with demo data</h2>
          <p className="muted">A month of a SaaS product&apos;s LLM traffic, with realistic waste planted in it. Ready in seconds.</p>
          <button className="primary" data-testid="load-demo" disabled={busy} onClick={() => {
            setJob({ kind: "demo" });
            void run("demo data", () => api.loadDemo());
          }}>
            {job.kind === "demo" ? "Generating…" : "Load demo data"}
          </button>
        </div>

        <div className="card loaded-card" data-testid="usage-summary">
          <h2>Loaded now</h2>
          {usage === null ? (
            <p className="muted">…</p>
          ) : usage.records === 0 ? (
            <p className="muted">Nothing yet. Upload a file or load the demo data.</p>
          ) : (
            <>
              <p className="big-number">{count(usage.records)} records</p>
              <p className="muted">
                {day(usage.period.from)} to {day(usage.period.to)} · {usd(usage.cost_usd)} · {usage.corpora.length === 1 ? "1 corpus" : `${usage.corpora.length} corpora`}
              </p>
              <ul className="models">
                {usage.models.slice(0, 6).map((m) => (
                  <li key={m.model ?? "(none)"}>
                    <span>{m.model ?? "(none)"}</span>
                    <span className="muted">{count(m.calls)} calls</span>
                  </li>
                ))}
                {usage.models.length > 6 && <li className="muted">and {usage.models.length - 6} more models</li>}
              </ul>
            </>
          )}
        </div>
      </div>

      <div
        className={dragging ? "dropzone dragging" : "dropzone"}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>
          <strong>Drop a usage file here</strong> or{" "}
          <button className="link" disabled={busy} onClick={() => picker.current?.click()}>
            choose one
          </button>
        </p>
        <p className="muted small">JSONL, JSON or CSV, plain or gzip: provider exports, gateway logs, OpenTelemetry spans.</p>
        <label className="format">
          Format
          <select data-testid="format" value={format} onChange={(e) => setFormat(e.target.value as FormatName | "auto")}>
            <option value="auto">Detect automatically</option>
            {FORMAT_NAMES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <input
          ref={picker}
          type="file"
          hidden
          data-testid="file-input"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file !== undefined) upload(file);
            e.target.value = "";
          }}
        />
      </div>

      {job.kind === "uploading" && (
        <div className="progress" data-testid="upload-progress">
          <div className="progress-label">
            Uploading {job.file}… {Math.round((job.progress.loaded / Math.max(job.progress.total, 1)) * 100)}%
          </div>
          <progress max={Math.max(job.progress.total, 1)} value={job.progress.loaded} />
        </div>
      )}
      {job.kind === "ingesting" && (
        <div className="progress">
          <div className="progress-label">
            <span className="spinner" aria-hidden="true" /> Reading and pricing {job.file}…
          </div>
          <progress />
        </div>
      )}
      {error !== null && (
        <p className="error" role="alert" data-testid="upload-error">
          {error}
        </p>
      )}
      {result !== null && <Summary summary={result.summary} source={result.source} />}
    </section>
  );
}
