import type { FastifyInstance, FastifyRequest } from "fastify";
import { Role, RoutePath, Tier } from "../protocol/names.ts";
import type { AccountChange, AdminUser, ApiKeysReset } from "../protocol/rest.ts";
import type { AccountAdministration } from "./account-administration.ts";
import type { SchemaProperties } from "./api-routes.ts";
import { Authenticator } from "./auth.ts";

// Account administration over HTTP (admins only; a refusal is 403 and audited as denied): list the accounts, change
// one's role or tier or disable it, reset its API keys. The work and the audit are AccountAdministration's, shared
// with the admin tools in chat.

export interface AdminRoutesOptions {
  auth: Authenticator;
  accounts: AccountAdministration;
}

interface UserParams {
  Params: { user_id: string };
}

interface ApiKeysResetBody {
  /** Issue one new key with this name after revoking the others; its secret is in the answer, shown once. */
  new_key_name?: string;
}

const nullableTime = { type: ["string", "null"], format: "date-time" } as const;

/** An account as the admin pages show it. */
const adminUserSchema = {
  type: "object",
  required: ["id", "email", "role", "tier", "disabled", "disabled_at", "created_at", "last_activity_at"],
  properties: {
    id: { type: "string" },
    email: { type: "string" },
    role: { type: "string", enum: Object.values(Role) },
    tier: { type: "string", enum: Object.values(Tier) },
    disabled: { type: "boolean" },
    disabled_at: nullableTime,
    created_at: { type: "string", format: "date-time" },
    last_activity_at: nullableTime,
  } satisfies SchemaProperties<AdminUser>,
} as const;

const userParams = { type: "object", required: ["user_id"], properties: { user_id: { type: "string", minLength: 1, maxLength: 200 } } } as const;

export async function adminRoutes(fastify: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const { auth, accounts } = options;
  const callerId = async (request: FastifyRequest): Promise<string> => (await auth.authenticate(Authenticator.bearer(request.headers.authorization))).id;

  fastify.get(
    RoutePath.ADMIN_USERS,
    { schema: { response: { 200: { type: "object", required: ["users"], properties: { users: { type: "array", items: adminUserSchema } } } } } },
    async (request): Promise<{ users: AdminUser[] }> => ({ users: await accounts.listUsers(await callerId(request)) }),
  );

  fastify.patch<UserParams & { Body: AccountChange }>(
    RoutePath.ADMIN_USER,
    {
      schema: {
        params: userParams,
        body: {
          type: "object",
          additionalProperties: false,
          minProperties: 1,
          properties: {
            role: { type: "string", enum: Object.values(Role) },
            tier: { type: "string", enum: Object.values(Tier) },
            disabled: { type: "boolean" },
          } satisfies SchemaProperties<AccountChange>,
        },
        response: { 200: { type: "object", required: ["user"], properties: { user: adminUserSchema } } },
      },
    },
    async (request): Promise<{ user: AdminUser }> => ({ user: await accounts.updateUser(await callerId(request), request.params.user_id, request.body) }),
  );

  fastify.post<UserParams & { Body: ApiKeysResetBody | undefined }>(
    RoutePath.ADMIN_USER_API_KEYS,
    {
      schema: {
        params: userParams,
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: { new_key_name: { type: "string", minLength: 1, maxLength: 100 } },
        },
        response: {
          200: {
            type: "object",
            required: ["user_id", "revoked"],
            properties: {
              user_id: { type: "string" },
              revoked: { type: "integer" },
              api_key: {
                type: "object",
                required: ["id", "name", "prefix", "created_at", "secret"],
                properties: {
                  id: { type: "string" },
                  name: { type: "string" },
                  prefix: { type: "string" },
                  created_at: { type: "string", format: "date-time" },
                  secret: { type: "string" },
                } satisfies SchemaProperties<NonNullable<ApiKeysReset["api_key"]>>,
              },
            } satisfies SchemaProperties<ApiKeysReset>,
          },
        },
      },
    },
    async (request): Promise<ApiKeysReset> => accounts.resetApiKeysAndIssue(await callerId(request), request.params.user_id, request.body?.new_key_name),
  );
}
