import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { isApexError } from "../protocol/errors.ts";
import { ErrorCode, Role } from "../protocol/names.ts";
import type { Me, Thread, UsageSummary } from "../protocol/rest.ts";
import type { ApiClient } from "./api.ts";
import { AuditPage } from "./audit-page.tsx";
import { CatalogPage } from "./catalog-page.tsx";
import { Chat } from "./chat.tsx";
import { Connection, socketUrl, type ConnectionStatus } from "./connection.ts";
import { ConnectionIndicator } from "./connection-indicator.tsx";
import { CorporaPage } from "./corpora-page.tsx";
import { DataPage } from "./data-page.tsx";
import { RunStore } from "./run-store.ts";
import type { Session } from "./session.ts";
import { ThreadList } from "./thread-list.tsx";
import { UsersPage } from "./users-page.tsx";

// The signed-in layout: sidebar (navigation, threads, account, connection) and the main pane (chat, data, datasets, and
// for admins the catalog, users and audit pages). It owns the one socket and the run store, wired so a gap or a
// reconnect resubscribes from the last applied seq.

type View = "chat" | "data" | "corpora" | "catalog" | "users" | "audit";

/** The admin pages, shown in the sidebar only to admins (the server refuses their routes to anyone else anyway). */
const ADMIN_VIEWS: { view: View; label: string; testId: string }[] = [
  { view: "catalog", label: "Catalog", testId: "nav-catalog" },
  { view: "users", label: "Users", testId: "nav-users" },
  { view: "audit", label: "Audit log", testId: "nav-audit" },
];

interface WorkspaceProps {
  api: ApiClient;
  session: Session;
  onSignOut(why: string | null): void;
}

export function Workspace({ api, session, onSignOut }: WorkspaceProps) {
  const [view, setView] = useState<View>("chat");
  const [threads, setThreads] = useState<Thread[]>([]);
  const [threadId, setThreadId] = useState<string | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [status, setStatus] = useState<ConnectionStatus>("connecting");
  const [usage, setUsage] = useState<UsageSummary | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const connectionRef = useRef<Connection | null>(null);

  const store = useMemo(
    () =>
      new RunStore({
        onGap: (runId) => connectionRef.current?.resubscribe(runId),
        onFinished: (runId) => connectionRef.current?.unwatch(runId),
      }),
    [],
  );
  const runs = useSyncExternalStore(store.subscribe, store.snapshot);

  useEffect(() => {
    const connection = new Connection({
      url: socketUrl(window.location.origin),
      token: session.token,
      socket: WebSocket,
      lastSeq: (runId) => store.lastSeq(runId),
      onEvent: (event) => store.receive(event),
      onQueued: (runId, position) => store.queued(runId, position),
      onStatus: setStatus,
      onRejected: (reason) => onSignOut(`The server closed the connection${reason === "" ? "" : ` (${reason})`}. Sign in again to continue.`),
    });
    connectionRef.current = connection;
    setStatus(connection.status);
    return () => {
      connection.close();
      connectionRef.current = null;
    };
  }, [session.token, store, onSignOut]);

  const report = useCallback((error: unknown) => {
    if (!isApexError(error)) setProblem(String(error));
    // a refused run names the quota; the server's message says when it resets
    else setProblem(error.code === ErrorCode.QUOTA_EXCEEDED ? `Quota reached: ${error.message}` : error.message);
  }, []);

  const refreshThreads = useCallback(async () => {
    try {
      setThreads(await api.threads());
    } catch (error) {
      report(error);
    }
  }, [api, report]);

  const refreshUsage = useCallback(async () => {
    try {
      setUsage(await api.usageSummary());
    } catch (error) {
      report(error);
    }
  }, [api, report]);

  useEffect(() => {
    void refreshThreads();
    void refreshUsage();
    api.me().then(setMe, report);
  }, [api, refreshThreads, refreshUsage, report]);

  // Back from an outage: what failed while the server was away is stale, and threads or data may have changed.
  const hasConnected = useRef(false);
  useEffect(() => {
    if (status !== "open") return;
    if (hasConnected.current) {
      setProblem(null);
      void refreshThreads();
      void refreshUsage();
    }
    hasConnected.current = true;
  }, [status, refreshThreads, refreshUsage]);

  const threadActions = {
    async create() {
      try {
        const created = await api.createThread();
        setThreads((list) => [created, ...list]);
        setThreadId(created.id);
        setView("chat");
      } catch (error) {
        report(error);
      }
    },
    async rename(id: string, title: string) {
      try {
        const renamed = await api.renameThread(id, title);
        setThreads((list) => list.map((t) => (t.id === id ? renamed : t)));
      } catch (error) {
        report(error);
      }
    },
    async remove(id: string) {
      try {
        await api.deleteThread(id);
        setThreads((list) => list.filter((t) => t.id !== id));
        if (threadId === id) setThreadId(null);
      } catch (error) {
        report(error);
      }
    },
    select(id: string) {
      setThreadId(id);
      setView("chat");
    },
  };

  const thread = threads.find((t) => t.id === threadId) ?? null;

  return (
    <div className="layout">
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark">A</span> Apex
        </div>
        <nav className="nav">
          <button className={view === "chat" ? "nav-item active" : "nav-item"} onClick={() => setView("chat")}>
            Chat
          </button>
          <button className={view === "data" ? "nav-item active" : "nav-item"} data-testid="nav-data" onClick={() => setView("data")}>
            Data
            {usage !== null && usage.records > 0 && <span className="badge">{usage.records.toLocaleString("en-US")}</span>}
          </button>
          <button className={view === "corpora" ? "nav-item active" : "nav-item"} data-testid="nav-corpora" onClick={() => setView("corpora")}>
            Datasets
          </button>
          {me?.role === Role.ADMIN && (
            <>
              <div className="nav-section">Admin</div>
              {ADMIN_VIEWS.map((item) => (
                <button key={item.view} className={view === item.view ? "nav-item active" : "nav-item"} data-testid={item.testId} onClick={() => setView(item.view)}>
                  {item.label}
                </button>
              ))}
            </>
          )}
        </nav>
        <ThreadList threads={threads} selected={threadId} actions={threadActions} />
        <div className="account">
          <ConnectionIndicator status={status} />
          <div className="who" title={me?.role ?? ""}>
            {me?.email ?? session.email}
            {me !== null && <span className="role">{me.role}</span>}
          </div>
          <button className="link" data-testid="sign-out" onClick={() => onSignOut(null)}>
            Sign out
          </button>
        </div>
      </aside>
      <main className="main">
        {problem !== null && (
          <div className="banner error" role="alert">
            {problem}
            <button className="link" onClick={() => setProblem(null)}>
              Dismiss
            </button>
          </div>
        )}
        {view === "data" ? (
          <DataPage api={api} usage={usage} onLoaded={() => void refreshUsage()} />
        ) : view === "corpora" ? (
          <CorporaPage api={api} onChanged={() => void refreshUsage()} />
        ) : view === "catalog" ? (
          <CatalogPage api={api} />
        ) : view === "users" ? (
          <UsersPage api={api} />
        ) : view === "audit" ? (
          <AuditPage api={api} />
        ) : (
          <Chat
            key={threadId ?? "new"}
            api={api}
            connection={connectionRef}
            status={status}
            runs={runs}
            store={store}
            thread={thread}
            hasData={usage === null ? null : usage.records > 0}
            onThreadStarted={(id) => {
              setThreadId(id);
              void refreshThreads();
            }}
            onGoToData={() => setView("data")}
            onProblem={report}
          />
        )}
      </main>
    </div>
  );
}
