import { useCallback, useEffect, useState, type FormEvent } from "react";
import { Role, Tier, type RoleName, type TierName } from "../protocol/names.ts";
import type { AccountChange, AdminUser, ApiKeysReset } from "../protocol/rest.ts";
import type { ApiClient } from "./api.ts";
import { ProblemLine, usePageProblem } from "./page-problem.tsx";

// The accounts (admins): change a role or tier, disable or enable, reset API keys (the new key is shown once, here),
// and create an account. The server refuses to demote or disable the last admin, with a message shown above the table.

interface UsersPageProps {
  api: ApiClient;
}

function when(iso: string | null): string {
  return iso === null ? "—" : new Date(iso).toLocaleString();
}

function CreateForm({ onCreate }: { onCreate(email: string, password: string, role: RoleName): Promise<boolean> }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<RoleName>(Role.USER);
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (await onCreate(email, password, role)) {
      setEmail("");
      setPassword("");
    }
  }
  return (
    <form className="inline-form" data-testid="create-user" onSubmit={(e) => void submit(e)}>
      <input type="email" required placeholder="Email" aria-label="Email" value={email} onChange={(e) => setEmail(e.target.value)} />
      <input type="password" required minLength={12} placeholder="Password (12 characters or more)" aria-label="Password" value={password} onChange={(e) => setPassword(e.target.value)} />
      <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as RoleName)}>
        {Object.values(Role).map((r) => (
          <option key={r}>{r}</option>
        ))}
      </select>
      <button type="submit" className="primary">
        Create account
      </button>
    </form>
  );
}

export function UsersPage({ api }: UsersPageProps) {
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [issued, setIssued] = useState<(ApiKeysReset & { email: string }) | null>(null);
  const { problem, fail, clear } = usePageProblem();

  const refresh = useCallback(async () => {
    try {
      setUsers(await api.adminUsers());
    } catch (error) {
      fail(error);
    }
  }, [api, fail]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  async function change(user: AdminUser, update: AccountChange) {
    try {
      const changed = await api.updateUser(user.id, update);
      setUsers((list) => list.map((u) => (u.id === changed.id ? changed : u)));
      clear();
    } catch (error) {
      fail(error);
    }
  }

  async function resetKeys(user: AdminUser) {
    if (!window.confirm(`Revoke every API key of ${user.email} and issue a new one?`)) return;
    try {
      setIssued({ ...(await api.resetApiKeys(user.id, "reset by admin")), email: user.email });
      clear();
    } catch (error) {
      fail(error);
    }
  }

  async function create(email: string, password: string, role: RoleName): Promise<boolean> {
    try {
      await api.createUser(email, password, role);
      clear();
      await refresh();
      return true;
    } catch (error) {
      fail(error);
      return false;
    }
  }

  return (
    <section className="admin-page" data-testid="admin-users">
      <header className="page-head">
        <h1>Users</h1>
        <p className="muted">Accounts, their role and tier (which sets their quotas). Every change here is written to the audit log.</p>
      </header>
      <ProblemLine problem={problem} testId="admin-error" />
      {issued !== null && (
        <div className="notice" data-testid="issued-key">
          Revoked {issued.revoked} key{issued.revoked === 1 ? "" : "s"} of {issued.email}.
          {issued.api_key !== undefined && (
            <>
              {" "}
              New key (shown once, copy it now): <code className="secret">{issued.api_key.secret}</code>
            </>
          )}
          <button className="link" onClick={() => setIssued(null)}>
            Done
          </button>
        </div>
      )}
      <div className="card">
        <table className="admin-table">
          <thead>
            <tr>
              <th>Email</th>
              <th>Role</th>
              <th>Tier</th>
              <th>Created</th>
              <th>Last activity</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id} data-testid="admin-user" data-email={user.email} className={user.disabled ? "disabled-row" : ""}>
                <td>{user.email}</td>
                <td>
                  <select aria-label="Role" value={user.role} onChange={(e) => void change(user, { role: e.target.value as RoleName })}>
                    {Object.values(Role).map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td>
                  <select aria-label="Tier" value={user.tier} onChange={(e) => void change(user, { tier: e.target.value as TierName })}>
                    {Object.values(Tier).map((t) => (
                      <option key={t}>{t}</option>
                    ))}
                  </select>
                </td>
                <td className="small">{when(user.created_at)}</td>
                <td className="small">{when(user.last_activity_at)}</td>
                <td>{user.disabled ? <span className="bad">Disabled</span> : "Active"}</td>
                <td className="row-actions">
                  <button className="link" onClick={() => void change(user, { disabled: !user.disabled })}>
                    {user.disabled ? "Enable" : "Disable"}
                  </button>
                  <button className="link" onClick={() => void resetKeys(user)}>
                    Reset API keys
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="card">
        <h2>Create an account</h2>
        <CreateForm onCreate={create} />
      </div>
    </section>
  );
}
