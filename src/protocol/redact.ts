// Secrets never reach a message or a log: a connection URL is shown without its password.

/** `url` with its password replaced by ***, or `fallback` when it is not a valid URL (which could hide anything). */
export function redactUrl(url: string, fallback: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return fallback;
  }
}
