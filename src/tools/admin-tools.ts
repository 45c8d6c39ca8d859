import { z } from "zod";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode, Role, Tier, ToolName } from "../protocol/names.ts";
import { defineTool, type AnyTool, type ToolCall } from "../runtime/tool.ts";
import type { ApexServices } from "./services.ts";
import type { UserAdministration } from "./user-administration.ts";

// Account administration from chat: the same actions as the admin REST routes, through the one dispatcher, which
// refuses a non-admin (`forbidden`, audited by the server's denied hook). The server audits every action itself.
// A reset never issues a new key here: a secret must not land in the run's event log.

const ADMINS = [Role.ADMIN] as const;
const UserRef = z.string().trim().min(1).max(320).describe("The account's id or email.");

function administration(call: ToolCall<ApexServices>): UserAdministration {
  if (call.services.admin === undefined) {
    throw new ApexError(ErrorCode.TOOL_FAILED, "Account administration needs the Apex server's account store; use it from `apex serve`.");
  }
  return call.services.admin;
}

const listUsersTool = defineTool({
  name: ToolName.LIST_USERS,
  description: "Every account with its role, tier, whether it is disabled, when it was created and its last activity (admins only).",
  parameters: z.object({}),
  roles: ADMINS,
  execute: async (_params, call: ToolCall<ApexServices>) => ({ users: await administration(call).listUsers(call.context.userId) }),
});

const updateUserTool = defineTool({
  name: ToolName.UPDATE_USER,
  description: "Changes an account's role or tier, or disables / enables it (admins only; the last enabled admin stays one).",
  parameters: z
    .object({
      user: UserRef,
      role: z.enum([Role.USER, Role.ADMIN]).optional(),
      tier: z.enum([Tier.FREE, Tier.PRO, Tier.ENTERPRISE]).optional(),
      disabled: z.boolean().optional(),
    })
    .refine((p) => p.role !== undefined || p.tier !== undefined || p.disabled !== undefined, { message: "give a role, a tier or disabled" }),
  roles: ADMINS,
  execute: async ({ user, ...change }, call: ToolCall<ApexServices>) => ({ user: await administration(call).updateUser(call.context.userId, user, change) }),
});

const resetApiKeysTool = defineTool({
  name: ToolName.RESET_API_KEYS,
  description: "Revokes every API key of an account (admins only); the owner creates new ones.",
  parameters: z.object({ user: UserRef }),
  roles: ADMINS,
  execute: (params, call: ToolCall<ApexServices>) => administration(call).resetApiKeys(call.context.userId, params.user),
});

export const ADMIN_TOOLS: readonly AnyTool<ApexServices>[] = [listUsersTool, updateUserTool, resetApiKeysTool];
