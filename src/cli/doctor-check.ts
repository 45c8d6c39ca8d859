// What one check of `apex doctor` reports, and what the checks share: messages of any error, and service addresses
// shown as host:port so a URL's password never reaches the output.

export type CheckStatus = "ok" | "warn" | "fail";

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

/** `host:port` of a service URL, never its user or password; undefined when it is not a URL. */
export function hostPort(url: string, defaultPort: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.hostname === "" ? undefined : `${parsed.hostname}:${parsed.port || defaultPort}`;
  } catch {
    return undefined;
  }
}

export function invalidUrl(name: string, variable: string, example: string): DoctorCheck {
  return { name, status: "fail", detail: `${variable} is not a valid URL`, fix: `set ${variable} like ${example}` };
}

export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(messageOf).join("; ");
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}
