import { useState, type FormEvent } from "react";
import { isApexError } from "../protocol/errors.ts";
import type { IssuedToken } from "../protocol/rest.ts";
import type { ApiClient } from "./api.ts";

// First-run setup (create the first admin) and sign-in: the same two fields, a different call and wording. The server
// checks the password rules and its message is shown as is.

interface SignInProps {
  api: ApiClient;
  setupRequired: boolean;
  /** Why the user is here again (session expired, connection refused), shown above the form. */
  notice: string | null;
  onSignedIn(issued: IssuedToken, email: string): void;
}

export function SignIn({ api, setupRequired, notice, onSignedIn }: SignInProps) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const issued = setupRequired ? await api.setup(email, password) : await api.login(email, password);
      onSignedIn(issued, email);
    } catch (caught) {
      setError(isApexError(caught) ? caught.message : "Something went wrong; try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth">
      <form className="auth-card" data-testid={setupRequired ? "setup-form" : "signin-form"} onSubmit={(e) => void submit(e)}>
        <div className="brand brand-large">
          <span className="brand-mark">A</span> Apex
        </div>
        <h1>{setupRequired ? "Welcome! Create the admin account" : "Sign in"}</h1>
        <p className="muted">
          {setupRequired
            ? "This is a new Apex server. The first account you create is its administrator."
            : "Find where your LLM spend goes, and what to cut."}
        </p>
        {notice !== null && <p className="notice">{notice}</p>}
        <label>
          Email
          <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete={setupRequired ? "new-password" : "current-password"}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error !== null && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Please wait…" : setupRequired ? "Create account and sign in" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
