import type { FastifyInstance } from "fastify";

// The headers every answer carries, so the web UI cannot be framed, have a response sniffed into another type, or run
// a script it did not ship: a strict CSP (the built UI is one script file and one stylesheet, no inline script or
// style element; React and the charts set styles through the DOM, which CSP allows), no referrer leaving the site, and
// HSTS only when the operator says the site is served over HTTPS (sent over plain HTTP it would lock browsers out).

export interface SecurityHeadersOptions {
  /** `Strict-Transport-Security` max-age; 0 sends no HSTS header. */
  hstsMaxAgeSeconds: number;
}

/** `'self'` in connect-src covers the WebSocket of the same host (CSP level 3). */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

function securityHeaders(options: SecurityHeadersOptions): Record<string, string> {
  return {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    // For browsers older than frame-ancestors.
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    ...(options.hstsMaxAgeSeconds > 0 ? { "strict-transport-security": `max-age=${options.hstsMaxAgeSeconds}` } : {}),
  };
}

/** Sets the headers on the raw response as each request arrives, so answers streamed past fastify (SSE) carry them too. */
export function addSecurityHeaders(fastify: FastifyInstance, options: SecurityHeadersOptions): void {
  const headers = Object.entries(securityHeaders(options));
  fastify.addHook("onRequest", async (_request, reply) => {
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
  });
}
