import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";

// JSON proof for everything that leaves an agent: metadata values, tool parameters and results, event payloads.

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export type DeepReadonly<T> = T extends JsonPrimitive
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : { readonly [K in keyof T]: DeepReadonly<T[K]> };

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number") return String(value);
  if (typeof value !== "object" || value === null) return `a ${typeof value}`;
  return `an instance of ${(value as { constructor?: { name?: string } }).constructor?.name ?? "a class"}`;
}

function copy(label: string, value: unknown, path: string, seen: Set<object>): JsonValue {
  const fail = (what: string): never => {
    throw new ApexError(
      ErrorCode.NOT_SERIALIZABLE,
      `${label}: value at ${path} is ${what}, which is not JSON; use strings, finite numbers, booleans, null, arrays and plain objects.`,
      { details: { label, path } },
    );
  };
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : fail(describe(value));
  if (typeof value !== "object") return fail(describe(value));
  if (seen.has(value)) return fail("a circular reference");
  seen.add(value);
  try {
    if (Array.isArray(value)) return Object.freeze(value.map((item, i) => copy(label, item, `${path}[${i}]`, seen)));
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return fail(describe(value));
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = copy(label, v, `${path}.${k}`, seen);
    }
    return Object.freeze(out);
  } finally {
    seen.delete(value);
  }
}

/**
 * A deep, frozen, plain-JSON copy of `value`, or an `ApexError(not_serializable)` naming `label` and the path of the first
 * part that is not JSON. Object properties that are `undefined` are dropped, as JSON.stringify does.
 */
export function frozenJson(value: unknown, label: string, path = "$"): JsonValue {
  return copy(label, value, path, new Set());
}
