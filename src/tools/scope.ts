import { z } from "zod";
import type { Scope } from "../analytics/store.ts";
import type { UserExecutionContext } from "../runtime/context.ts";

// The slice of usage data a tool looks at. The owner is never a parameter: it is the calling user's id, taken from the
// request context, so no tool call can reach another account's rows.

/** The name rule of a corpus (a user's dataset), shared by uploads, REST and the tools. */
export const CorpusNameSchema = z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, dot, dash and underscore, starting with a letter or digit");

export const ScopeParamsSchema = z.object({
  /** One dataset of the user's (default: all of them). */
  corpus: z.string().min(1).max(200).optional(),
  /** Inclusive start, ISO 8601 date or date-time (UTC). */
  from: z.string().min(10).max(40).optional(),
  /** Exclusive end, ISO 8601 date or date-time (UTC). */
  to: z.string().min(10).max(40).optional(),
  models: z.array(z.string().min(1).max(256)).max(100).optional(),
  features: z.array(z.string().min(1).max(512)).max(100).optional(),
});
export type ScopeParams = z.infer<typeof ScopeParamsSchema>;

export function scopeFor(context: UserExecutionContext, params: ScopeParams): Scope {
  return {
    owner: context.userId,
    // The call's signal: a cancelled run or a tool past its deadline stops its queries in the database.
    signal: context.signal,
    ...(params.corpus === undefined ? {} : { corpus: params.corpus }),
    ...(params.from === undefined ? {} : { from: params.from }),
    ...(params.to === undefined ? {} : { to: params.to }),
    ...(params.models === undefined ? {} : { models: params.models }),
    ...(params.features === undefined ? {} : { features: params.features }),
  };
}
