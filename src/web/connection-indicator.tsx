import type { ConnectionStatus } from "./connection.ts";

// The socket's state, always visible: live updates depend on it.

const LABEL: Record<ConnectionStatus, string> = {
  connecting: "Connecting…",
  open: "Connected",
  reconnecting: "Reconnecting…",
  closed: "Disconnected",
};

export function ConnectionIndicator({ status }: { status: ConnectionStatus }) {
  return (
    <div className={`connection connection-${status}`} data-testid="connection-status" data-state={status} role="status">
      <span className="dot" aria-hidden="true" />
      {LABEL[status]}
    </div>
  );
}
