import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import { frozenJson, type DeepReadonly, type JsonValue } from "./json.ts";

// The per-run store of what agents learn and hand on. Its methods are the only way to write run state; values are
// proven JSON-serializable at write time and stored frozen, so a reader can never change what another agent sees.

function validKey(key: string): string {
  if (typeof key !== "string" || key.trim() === "") {
    throw new ApexError(ErrorCode.INVALID_REQUEST, "A metadata key must be a non-empty string.");
  }
  return key;
}

export class MetadataStore {
  readonly #values = new Map<string, JsonValue>();

  /** Stores one value under `key`, replacing what was there. */
  storeResult(key: string, value: unknown): void {
    this.#values.set(validKey(key), frozenJson(value, `metadata key "${key}"`));
  }

  /** Stores several values at once: either all are stored or, if one is not JSON, none is. */
  storeBatch(entries: Readonly<Record<string, unknown>>): void {
    const checked = Object.entries(entries).map(([k, v]) => [validKey(k), frozenJson(v, `metadata key "${k}"`)] as const);
    for (const [k, v] of checked) this.#values.set(k, v);
  }

  /** A frozen snapshot of the value under `key`, or `fallback` when there is none. */
  get<T = JsonValue>(key: string, fallback: T): DeepReadonly<T>;
  get<T = JsonValue>(key: string): DeepReadonly<T> | undefined;
  get<T = JsonValue>(key: string, fallback?: T): DeepReadonly<T> | undefined {
    return (this.#values.has(key) ? this.#values.get(key) : fallback) as DeepReadonly<T> | undefined;
  }

  has(key: string): boolean {
    return this.#values.has(key);
  }

  keys(): string[] {
    return [...this.#values.keys()];
  }

  appendToList(key: string, item: unknown): number {
    return this.extendList(key, [item]);
  }

  /** Appends items to the list under `key` (creating it); returns the new length. */
  extendList(key: string, items: readonly unknown[]): number {
    const current = this.#values.get(validKey(key));
    if (current !== undefined && !Array.isArray(current)) {
      throw new ApexError(ErrorCode.INVALID_REQUEST, `metadata key "${key}" holds a ${typeof current}, not a list: use another key.`);
    }
    const offset = (current as JsonValue[] | undefined)?.length ?? 0;
    const added = items.map((item, i) => frozenJson(item, `metadata key "${key}"`, `$[${offset + i}]`));
    const next = Object.freeze([...((current as JsonValue[] | undefined) ?? []), ...added]);
    this.#values.set(key, next);
    return next.length;
  }

  /** Adds `by` to the counter under `key` (starting at 0); returns the new value. */
  incrementCounter(key: string, by = 1): number {
    if (!Number.isFinite(by)) {
      throw new ApexError(ErrorCode.NOT_SERIALIZABLE, `metadata key "${key}": increment ${by} is not a finite number.`);
    }
    const current = this.#values.get(validKey(key)) ?? 0;
    if (typeof current !== "number") {
      throw new ApexError(ErrorCode.INVALID_REQUEST, `metadata key "${key}" holds a ${typeof current}, not a counter: use another key.`);
    }
    const next = current + by;
    this.#values.set(key, next);
    return next;
  }

  /** Copies the given keys (all when omitted) into the store of a child operation; values stay frozen and shared. */
  propagate(child: MetadataStore, keys?: readonly string[]): void {
    if (child === this) return;
    for (const key of keys ?? this.keys()) {
      const value = this.#values.get(key);
      if (value !== undefined) child.#values.set(key, value);
    }
  }

  /** A frozen copy of everything, for reports and debugging. */
  snapshot(): Readonly<Record<string, JsonValue>> {
    return Object.freeze(Object.fromEntries(this.#values));
  }
}
