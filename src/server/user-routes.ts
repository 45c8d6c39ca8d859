import type { FastifyInstance, FastifyRequest } from "fastify";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Role, RoutePath, type RoleName } from "../protocol/names.ts";
import type { Me } from "../protocol/rest.ts";
import { Authenticator, type AuthUser } from "./auth.ts";
import { credentialsBody } from "./auth-routes.ts";

// Accounts over HTTP: `GET /api/me` says who is signed in (the UI shows it and hides admin pages from users);
// `POST /api/users` lets an admin create an account. Passwords are checked and hashed by the Authenticator.

interface NewAccount {
  email: string;
  password: string;
  role?: RoleName;
}

const newAccountBody = {
  ...credentialsBody,
  properties: { ...credentialsBody.properties, role: { type: "string", enum: Object.values(Role) } },
} as const;

export async function userRoutes(fastify: FastifyInstance, options: { auth: Authenticator }): Promise<void> {
  const { auth } = options;
  const caller = (request: FastifyRequest): Promise<AuthUser> => auth.authenticate(Authenticator.bearer(request.headers.authorization));

  fastify.get(RoutePath.ME, async (request): Promise<Me> => {
    const user = await caller(request);
    return { id: user.id, email: user.email, role: user.role, tier: user.tier };
  });

  fastify.post<{ Body: NewAccount }>(RoutePath.USERS, { schema: { body: newAccountBody } }, async (request, reply): Promise<{ user: Me }> => {
    const admin = await caller(request);
    if (admin.role !== Role.ADMIN) throw new ApexError(ErrorCode.FORBIDDEN, "Only an admin can create accounts; ask one of your admins.");
    const user = await auth.createUser(request.body.email, request.body.password, request.body.role ?? Role.USER);
    reply.code(201);
    return { user };
  });
}
