import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { isApexError } from "../protocol/errors.ts";
import { ApiClient } from "./api.ts";
import { clearSession, loadSession, msLeft, saveSession, type Session } from "./session.ts";
import { SignIn } from "./sign-in.tsx";
import { Workspace } from "./workspace.tsx";

// The session gate: first-run setup or sign-in until there is a valid token, then the workspace. Every way a session
// ends (sign-out, expiry, a 401, a 1008 close) comes back here with a message saying why.

const EXPIRED = "Your session expired. Sign in again to continue.";

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [setupRequired, setSetupRequired] = useState<boolean | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const sessionRef = useRef(session);
  sessionRef.current = session;

  const signOut = useCallback((why: string | null) => {
    clearSession();
    setSession(null);
    setNotice(why);
  }, []);

  const api = useMemo(
    () =>
      new ApiClient({
        token: () => sessionRef.current?.token ?? null,
        // the server's message already says what to do (sign in again)
        onUnauthorized: (error) => signOut(error.message),
      }),
    [signOut],
  );

  useEffect(() => {
    if (session !== null) return;
    api.setupRequired().then(setSetupRequired, (error: unknown) => {
      setSetupRequired(false);
      setNotice(isApexError(error) ? error.message : "The server cannot be reached.");
    });
  }, [api, session]);

  // Sign out when the token expires, before the server starts refusing it.
  useEffect(() => {
    if (session === null) return;
    const timer = setTimeout(() => signOut(EXPIRED), Math.max(0, Math.min(msLeft(session), 2 ** 31 - 1)));
    return () => clearTimeout(timer);
  }, [session, signOut]);

  if (session === null) {
    if (setupRequired === null) return <div className="loading">Loading…</div>;
    return (
      <SignIn
        api={api}
        setupRequired={setupRequired}
        notice={notice}
        onSignedIn={(issued, email) => {
          setNotice(null);
          setSession(saveSession(issued, email));
        }}
      />
    );
  }
  return <Workspace key={session.token} api={api} session={session} onSignOut={signOut} />;
}
