import type { FastifyInstance } from "fastify";
import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";

// PostgreSQL text cannot hold a NUL, and no id, name, filter or message needs one: a request carrying one anywhere in
// its path parameters, query or JSON body is refused as a bad request here, in one place, before any route reads it
// (WebSocket commands are refused by their schemas in src/protocol/commands.ts).

const NUL = "\u0000";

interface Visit {
  value: unknown;
  key: string;
  parent: Visit | undefined;
}

function pathOf(visit: Visit): string {
  const keys: string[] = [];
  for (let at: Visit | undefined = visit; at !== undefined; at = at.parent) keys.unshift(at.key);
  return keys.join(".");
}

/** Where the first NUL is (`body.messages.0.content`), or undefined; iterative, so a deeply nested body cannot overflow. */
function nulAt(value: unknown, root: string): string | undefined {
  const stack: Visit[] = [{ value, key: root, parent: undefined }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    const current = visit.value;
    if (typeof current === "string") {
      if (current.includes(NUL)) return pathOf(visit);
    } else if (typeof current === "object" && current !== null) {
      for (const [key, item] of Object.entries(current)) {
        if (key.includes(NUL)) return `${pathOf(visit)} (a key)`;
        stack.push({ value: item, key, parent: visit });
      }
    }
  }
  return undefined;
}

export function refuseNul(fastify: FastifyInstance): void {
  fastify.addHook("preValidation", async (request) => {
    const parts = { path: request.params, query: request.query, body: request.body };
    for (const [root, value] of Object.entries(parts)) {
      const where = nulAt(value, root);
      if (where !== undefined) {
        throw new ApexError(ErrorCode.INVALID_REQUEST, `${where} contains a NUL character (\\u0000); remove it and send the request again.`, {
          details: { field: where },
        });
      }
    }
  });
}
