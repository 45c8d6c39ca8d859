import type { IssuedToken } from "../protocol/rest.ts";

// The signed-in session, kept in localStorage so a reload stays signed in until the token expires.

export interface Session {
  token: string;
  expiresAt: string;
  email: string;
}

const KEY = "apex.session";

export function loadSession(now = Date.now()): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw === null) return null;
    const session = JSON.parse(raw) as Session;
    if (typeof session.token !== "string" || msLeft(session, now) <= 0) {
      localStorage.removeItem(KEY);
      return null;
    }
    return session;
  } catch {
    return null;
  }
}

export function saveSession(issued: IssuedToken, email: string): Session {
  const session: Session = { token: issued.token, expiresAt: issued.expires_at, email };
  localStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}

export function msLeft(session: Session, now = Date.now()): number {
  return Date.parse(session.expiresAt) - now;
}
