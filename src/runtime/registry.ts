import { ApexError } from "../protocol/errors.ts";
import { ErrorCode } from "../protocol/names.ts";
import type { UserExecutionContext } from "./context.ts";

// The one generic registry, used for agents and tools. Entries are plain values or factories that build one per context.

export type RegistryFactory<T> = (context: UserExecutionContext) => T;

type Entry<T> = { kind: "value"; value: T } | { kind: "factory"; factory: RegistryFactory<T> };

export class Registry<T> {
  readonly #entries = new Map<string, Entry<T>>();
  #frozen = false;

  /** `kind` names what the registry holds (e.g. "agent"), for error messages. */
  constructor(readonly kind: string) {}

  register(key: string, value: T): this {
    return this.#add(key, { kind: "value", value });
  }

  registerFactory(key: string, factory: RegistryFactory<T>): this {
    return this.#add(key, { kind: "factory", factory });
  }

  /** The registered value, or a fresh one from its factory for this context. */
  create(key: string, context: UserExecutionContext): T {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      throw new ApexError(
        ErrorCode.UNKNOWN_KEY,
        `No ${this.kind} named "${key}" is registered; registered ${this.kind}s: ${this.keys().join(", ") || "none"}.`,
      );
    }
    return entry.kind === "value" ? entry.value : entry.factory(context);
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** After freeze, nothing can be registered: the set of agents and tools is fixed before the first request. */
  freeze(): this {
    this.#frozen = true;
    return this;
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  #add(key: string, entry: Entry<T>): this {
    if (this.#frozen) {
      throw new ApexError(ErrorCode.REGISTRY_FROZEN, `The ${this.kind} registry is frozen; register "${key}" before the first request.`);
    }
    if (key.trim() === "") {
      throw new ApexError(ErrorCode.INVALID_REQUEST, `A ${this.kind} needs a non-empty name to be registered.`);
    }
    if (this.#entries.has(key)) {
      throw new ApexError(ErrorCode.DUPLICATE_KEY, `A ${this.kind} named "${key}" is already registered; each name is registered once.`);
    }
    this.#entries.set(key, entry);
    return this;
  }
}
