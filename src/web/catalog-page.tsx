import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import {
  BUNDLED_CATALOG_SOURCE,
  CatalogScope,
  type CatalogDiff,
  type CatalogEntry,
  type CatalogLookup,
  type CatalogScopeName,
  type CatalogVersionSummary,
} from "../protocol/catalog.ts";
import type { EffectiveEntry } from "../protocol/rest.ts";
import type { ApiClient } from "./api.ts";
import { ProblemLine, usePageProblem } from "./page-problem.tsx";

// The supply catalog (admins): a lookup of any model (catalog entry or bundled prices, the start of an override), the
// effective entries, the version history of a scope, a field-level diff of two versions, an edit of one model's prices
// and substitutes (a new version, with a reason) and a rollback (with a reason).

interface CatalogPageProps {
  api: ApiClient;
}

const PRICE_FIELDS = ["input_per_mtok", "output_per_mtok", "cache_read_per_mtok", "cache_write_per_mtok"] as const;
type PriceField = (typeof PRICE_FIELDS)[number];
const PRICE_LABEL: Record<PriceField, string> = {
  input_per_mtok: "Input $/Mtok",
  output_per_mtok: "Output $/Mtok",
  cache_read_per_mtok: "Cache read $/Mtok",
  cache_write_per_mtok: "Cache write $/Mtok",
};

function shown(value: unknown): string {
  if (value === undefined || value === null) return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function substitutesText(entry: CatalogEntry): string {
  return entry.substitutes.map((s) => `${s.model}: ${s.for.join(" ")}`).join("\n");
}

/** "model: kind kind" per line back to substitutes; kinds the server does not know are refused there, with a message. */
function parseSubstitutes(text: string): CatalogEntry["substitutes"] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const [model = "", kinds = ""] = line.split(":");
      return { model: model.trim(), for: kinds.split(/[\s,]+/).filter((k) => k !== "") as CatalogEntry["substitutes"][number]["for"] };
    });
}

/** A model the catalog does not list yet: the bundled price data prices it until an entry is added here. */
const NEW_ENTRY: CatalogEntry = { model: "", provider: "", input_per_mtok: 0, output_per_mtok: 0, substitutes: [] };

function EditForm({ entry, onSave, onCancel }: { entry: CatalogEntry; onSave(entry: CatalogEntry, reason: string): Promise<void>; onCancel(): void }) {
  const adding = entry.model === "";
  const [name, setName] = useState({ model: entry.model, provider: entry.provider });
  const [prices, setPrices] = useState<Record<PriceField, string>>(() => {
    const values = {} as Record<PriceField, string>;
    for (const field of PRICE_FIELDS) values[field] = entry[field] === undefined ? "" : String(entry[field]);
    return values;
  });
  const [substitutes, setSubstitutes] = useState(substitutesText(entry));
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const next: CatalogEntry = { ...entry, model: name.model.trim(), provider: name.provider.trim(), substitutes: parseSubstitutes(substitutes) };
    for (const field of PRICE_FIELDS) {
      if (prices[field].trim() === "") delete next[field];
      else next[field] = Number(prices[field]);
    }
    try {
      await onSave(next, reason);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card admin-form" data-testid="catalog-edit" onSubmit={(e) => void submit(e)}>
      <h3>{adding ? "Add a model" : `Edit ${entry.model}`}</h3>
      <div className="form-grid">
        {adding && (
          <>
            <label>
              Model
              <input required data-testid="catalog-model" value={name.model} onChange={(e) => setName({ ...name, model: e.target.value })} />
            </label>
            <label>
              Provider
              <input required data-testid="catalog-provider" value={name.provider} onChange={(e) => setName({ ...name, provider: e.target.value })} />
            </label>
          </>
        )}
        {PRICE_FIELDS.map((field) => (
          <label key={field}>
            {PRICE_LABEL[field]}
            <input
              type="number"
              min={0}
              step="any"
              required={field === "input_per_mtok" || field === "output_per_mtok"}
              data-testid={`catalog-${field}`}
              value={prices[field]}
              onChange={(e) => setPrices({ ...prices, [field]: e.target.value })}
            />
          </label>
        ))}
      </div>
      <label>
        Substitutes <span className="muted small">(one per line: model: classification extraction short_answer …)</span>
        <textarea rows={3} value={substitutes} onChange={(e) => setSubstitutes(e.target.value)} />
      </label>
      <label>
        Reason <span className="muted small">(required, recorded with the version)</span>
        <input required minLength={3} data-testid="catalog-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <div className="form-actions">
        <button type="submit" className="primary" data-testid="catalog-save" disabled={busy}>
          Save as a new version
        </button>
        <button type="button" className="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function DiffView({ diff }: { diff: CatalogDiff }) {
  const empty = diff.added.length + diff.removed.length + diff.changed.length === 0;
  return (
    <div className="catalog-diff" data-testid="catalog-diff">
      {empty && <p className="muted">The two versions have the same entries.</p>}
      {diff.added.map((entry) => (
        <p key={`+${entry.model}`} className="diff-added">
          + {entry.model} ({entry.provider})
        </p>
      ))}
      {diff.removed.map((entry) => (
        <p key={`-${entry.model}`} className="diff-removed">
          − {entry.model} ({entry.provider})
        </p>
      ))}
      {diff.changed.length > 0 && (
        <table className="admin-table">
          <thead>
            <tr>
              <th>Model</th>
              <th>Field</th>
              <th>Before</th>
              <th>After</th>
            </tr>
          </thead>
          <tbody>
            {diff.changed.flatMap((change) =>
              change.fields.map((field) => (
                <tr key={`${change.model}.${field.field}`} data-testid="diff-change" data-model={change.model} data-field={field.field}>
                  <td>{change.model}</td>
                  <td>{field.field}</td>
                  <td className="diff-removed">{shown(field.before)}</td>
                  <td className="diff-added">{shown(field.after)}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}

/**
 * Looks one model up as runs price it (the catalog's entry, else the bundled price data), so an admin sees a model's
 * current prices before overriding it, and can start the override from them.
 */
function ModelLookup({ api, onOverride, fail, catalogChanged }: { api: ApiClient; onOverride(entry: CatalogEntry): void; fail(error: unknown): void; catalogChanged: unknown }) {
  const [model, setModel] = useState("");
  const [found, setFound] = useState<CatalogLookup | null>(null);
  // The model on screen, read when the catalog changes (a ref: showing a new model must not look it up twice).
  const shownModel = useRef<string | undefined>(undefined);
  shownModel.current = found?.model;

  const fetchModel = useCallback(
    async (name: string) => {
      try {
        setFound(await api.catalogModel(name));
      } catch (error) {
        fail(error);
      }
    },
    [api, fail],
  );

  // After a change to the catalog (an override saved, a rollback), the model on screen is looked up again.
  useEffect(() => {
    if (shownModel.current !== undefined) void fetchModel(shownModel.current);
  }, [catalogChanged, fetchModel]);

  function lookUp(event: FormEvent) {
    event.preventDefault();
    void fetchModel(model.trim());
  }

  return (
    <div className="card" data-testid="catalog-lookup">
      <h2>Look up a model</h2>
      <form className="inline-form" onSubmit={lookUp}>
        <input required placeholder="gpt-4o-mini" data-testid="catalog-lookup-model" value={model} onChange={(e) => setModel(e.target.value)} />
        <button type="submit" className="secondary" data-testid="catalog-lookup-go" disabled={model.trim() === ""}>
          Look up
        </button>
      </form>
      {found !== null && !found.found && (
        <p className="muted" data-testid="catalog-lookup-result" data-found="false">
          Neither the catalog nor the bundled price data knows “{found.model}”: calls to it are unpriced until you add it.
        </p>
      )}
      {found?.entry != null && (
        <div data-testid="catalog-lookup-result" data-found="true" data-source={found.source ?? ""}>
          <p>
            <strong>{found.entry.model}</strong> ({found.entry.provider}) from the {found.source === BUNDLED_CATALOG_SOURCE ? "bundled price data" : `${found.source ?? ""} catalog`}: input{" "}
            {shown(found.entry.input_per_mtok)}, output {shown(found.entry.output_per_mtok)}, cache read {shown(found.entry.cache_read_per_mtok)} USD per million
            tokens{found.entry.context_window === undefined ? "" : `; context window ${found.entry.context_window.toLocaleString()} tokens`}.
          </p>
          <button className="secondary" data-testid="catalog-lookup-override" onClick={() => found.entry !== null && onOverride(found.entry)}>
            Override in this scope
          </button>
        </div>
      )}
    </div>
  );
}

export function CatalogPage({ api }: CatalogPageProps) {
  const [scope, setScope] = useState<CatalogScopeName>(CatalogScope.GLOBAL);
  const [entries, setEntries] = useState<EffectiveEntry[]>([]);
  const [versions, setVersions] = useState<CatalogVersionSummary[]>([]);
  const [editing, setEditing] = useState<CatalogEntry | null>(null);
  const [pair, setPair] = useState<{ from: string; to: string }>({ from: "", to: "" });
  const [diff, setDiff] = useState<CatalogDiff | null>(null);
  const [rollback, setRollback] = useState<{ version: number; reason: string } | null>(null);
  const { problem, fail, clear } = usePageProblem();

  const refresh = useCallback(async () => {
    try {
      const [effective, history] = await Promise.all([api.catalog(), api.catalogVersions({ scope })]);
      setEntries(effective.entries);
      setVersions(history);
    } catch (error) {
      fail(error);
    }
  }, [api, scope, fail]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  async function save(edited: CatalogEntry, reason: string) {
    // the effective entry carries where it came from; the catalog entry itself does not
    const entry: CatalogEntry & { source?: string } = { ...edited };
    delete entry.source;
    try {
      await api.changeCatalog({ scope, changes: { set: [entry], remove: [] }, reason });
      setEditing(null);
      clear();
      await refresh();
    } catch (error) {
      fail(error);
    }
  }

  async function compare() {
    try {
      setDiff(await api.catalogDiff({ scope }, Number(pair.from), Number(pair.to)));
    } catch (error) {
      fail(error);
    }
  }

  async function rollBack(event: FormEvent) {
    event.preventDefault();
    if (rollback === null) return;
    try {
      await api.rollbackCatalog({ scope, version: rollback.version, reason: rollback.reason });
      setRollback(null);
      await refresh();
    } catch (error) {
      fail(error);
    }
  }

  // version 0 (the bundled price data alone) may be listed or not: a diff may start from it either way
  const choices = [...new Set([...versions.map((v) => v.version), 0])];
  return (
    <section className="admin-page" data-testid="admin-catalog">
      <header className="page-head">
        <h1>Supply catalog</h1>
        <p className="muted">The models analyses price and substitute with. Every change is a new version with its author and reason.</p>
      </header>
      <ProblemLine problem={problem} testId="admin-error" />
      <label className="inline-field">
        Scope
        <select value={scope} onChange={(e) => setScope(e.target.value as CatalogScopeName)}>
          <option value={CatalogScope.GLOBAL}>Global (everyone)</option>
          <option value={CatalogScope.TENANT}>My account only</option>
        </select>
      </label>
      <ModelLookup api={api} onOverride={setEditing} fail={fail} catalogChanged={entries} />
      {editing !== null && <EditForm key={editing.model === "" ? "new" : editing.model} entry={editing} onSave={save} onCancel={() => setEditing(null)} />}

      <div className="card">
        <div className="card-head">
          <h2>Effective entries</h2>
          <button className="secondary" data-testid="catalog-add" onClick={() => setEditing(NEW_ENTRY)}>
            Add a model
          </button>
        </div>
        {entries.length === 0 && <p className="muted">No model is set here yet: analyses use the bundled price data. Add a model to override it.</p>}
        <table className="admin-table" data-testid="catalog-entries">
          <thead>
            <tr>
              <th>Model</th>
              <th>Provider</th>
              <th className="num">Input</th>
              <th className="num">Output</th>
              <th className="num">Cache read</th>
              <th>Tier</th>
              <th>Substitutes</th>
              <th>Source</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.model} data-testid="catalog-entry" data-model={entry.model}>
                <td>{entry.model}</td>
                <td>{entry.provider}</td>
                <td className="num">{shown(entry.input_per_mtok)}</td>
                <td className="num">{shown(entry.output_per_mtok)}</td>
                <td className="num">{shown(entry.cache_read_per_mtok)}</td>
                <td>{entry.capability_tier ?? "—"}</td>
                <td className="small">{entry.substitutes.map((s) => s.model).join(", ") || "—"}</td>
                <td className="muted small">{entry.source}</td>
                <td>
                  <button className="link" data-testid="catalog-edit-model" onClick={() => setEditing(entry)}>
                    Edit
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <div className="card">
        <h2>Version history</h2>
        {versions.length === 0 ? (
          <p className="muted">No version yet: the bundled price data applies.</p>
        ) : (
          <table className="admin-table" data-testid="catalog-versions">
            <thead>
              <tr>
                <th>Version</th>
                <th>When</th>
                <th>Author</th>
                <th>Reason</th>
                <th className="num">Models</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version} data-testid="catalog-version" data-version={v.version}>
                  <td>v{v.version}</td>
                  <td className="small">{v.version === 0 ? "—" : new Date(v.created_at).toLocaleString()}</td>
                  <td>{v.author_email}</td>
                  <td>{v.reason}</td>
                  <td className="num">{v.models}</td>
                  <td>
                    <button className="link" onClick={() => setRollback({ version: v.version, reason: "" })}>
                      Roll back to this
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {rollback !== null && (
          <form className="inline-form" data-testid="catalog-rollback" onSubmit={(e) => void rollBack(e)}>
            <span>Roll back to v{rollback.version}: a new version with its entries.</span>
            <input required minLength={3} placeholder="Reason" value={rollback.reason} onChange={(e) => setRollback({ ...rollback, reason: e.target.value })} />
            <button type="submit" className="danger">
              Roll back
            </button>
            <button type="button" className="link" onClick={() => setRollback(null)}>
              Cancel
            </button>
          </form>
        )}
        <div className="inline-form">
          <span>Compare</span>
          <select data-testid="diff-from" value={pair.from} onChange={(e) => setPair({ ...pair, from: e.target.value })}>
            <option value="">from…</option>
            {choices.map((v) => (
              <option key={v} value={v}>
                v{v}
              </option>
            ))}
          </select>
          <select data-testid="diff-to" value={pair.to} onChange={(e) => setPair({ ...pair, to: e.target.value })}>
            <option value="">to…</option>
            {choices.map((v) => (
              <option key={v} value={v}>
                v{v}
              </option>
            ))}
          </select>
          <button className="secondary" data-testid="diff-show" disabled={pair.from === "" || pair.to === ""} onClick={() => void compare()}>
            Show the changes
          </button>
        </div>
        {diff !== null && <DiffView diff={diff} />}
      </div>
    </section>
  );
}
