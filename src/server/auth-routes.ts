import type { FastifyInstance, FastifyReply } from "fastify";
import { isApexError } from "../protocol/errors.ts";
import { ErrorCode, RoutePath } from "../protocol/names.ts";
import type { IssuedToken, Me } from "../protocol/rest.ts";
import type { Authenticator } from "./auth.ts";

// Sign-in and the one-time setup of the first admin. The schemas on the routes reject malformed bodies before any
// handler runs; the Authenticator decides the rest. A throttled sign-in answers 429 with `Retry-After`.

interface Credentials {
  email: string;
  password: string;
}

export const credentialsBody = {
  type: "object",
  required: ["email", "password"],
  additionalProperties: false,
  properties: {
    email: { type: "string", minLength: 3, maxLength: 320 },
    password: { type: "string", minLength: 1, maxLength: 1024 },
  },
} as const;

export async function authRoutes(fastify: FastifyInstance, options: { auth: Authenticator }): Promise<void> {
  const { auth } = options;

  fastify.post<{ Body: Credentials }>(RoutePath.AUTH_LOGIN, { schema: { body: credentialsBody } }, async (request, reply): Promise<IssuedToken> => {
    const issued = await withRetryAfter(reply, () => auth.login(request.body.email, request.body.password, request.ip));
    return { token: issued.token, expires_at: issued.expiresAt };
  });

  fastify.get(RoutePath.SETUP, async () => ({ setup_required: !(await auth.hasUsers()) }));

  fastify.post<{ Body: Credentials }>(RoutePath.SETUP, { schema: { body: credentialsBody } }, async (request, reply): Promise<IssuedToken & { user: Me }> => {
    const user = await withRetryAfter(reply, () => auth.createFirstAdmin(request.body.email, request.body.password));
    const issued = await auth.issueToken(user);
    reply.code(201);
    return { user, token: issued.token, expires_at: issued.expiresAt };
  });
}

/** Runs `work`; a `rate_limited` error that says how long to wait sets `Retry-After` on its 429. */
async function withRetryAfter<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const seconds = isApexError(error) && error.code === ErrorCode.RATE_LIMITED ? error.details?.retry_after_s : undefined;
    if (typeof seconds === "number") void reply.header("retry-after", String(seconds));
    throw error;
  }
}
