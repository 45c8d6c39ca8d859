// @ts-check
// What counts as writing to a value, shared by the module-state and metadata rules so both judge mutation the same way.

/** Methods that change the object they are called on (Array, Map, Set, WeakMap, WeakSet). */
const MUTATING_METHODS = new Set([
  "push",
  "pop",
  "shift",
  "unshift",
  "splice",
  "sort",
  "reverse",
  "fill",
  "copyWithin",
  "set",
  "add",
  "delete",
  "clear",
]);

/** Static functions that write into their first argument. */
const MUTATING_STATICS = {
  Object: new Set(["assign", "defineProperty", "defineProperties", "setPrototypeOf"]),
  Reflect: new Set(["set", "defineProperty", "deleteProperty", "setPrototypeOf"]),
};

/** Skips the type-only and grouping wrappers around an expression: `(x as any)!` is still `x`. */
export function unwrap(node) {
  let current = node;
  while (
    current &&
    (current.type === "TSAsExpression" ||
      current.type === "TSNonNullExpression" ||
      current.type === "TSSatisfiesExpression" ||
      current.type === "TSTypeAssertion" ||
      current.type === "ChainExpression")
  ) {
    current = current.expression;
  }
  return current;
}

/** The outermost expression of which `node` is the object part, climbing through member accesses and TS wrappers. */
function outerChain(node) {
  let current = node;
  for (;;) {
    const parent = current.parent;
    if (!parent) return current;
    const wraps =
      (parent.type === "MemberExpression" && parent.object === current) ||
      parent.type === "TSAsExpression" ||
      parent.type === "TSNonNullExpression" ||
      parent.type === "TSSatisfiesExpression" ||
      parent.type === "TSTypeAssertion" ||
      parent.type === "ChainExpression";
    if (!wraps) return current;
    current = parent;
  }
}

/**
 * If `node` (an expression) is written through — `node.x = 1`, `node.a.b++`, `delete node.x`, `node.list.push(1)`,
 * `Object.assign(node, …)` — returns the node of the write, else null. Rebinding a variable (`node = …`) is not a write
 * into the value, so it is not reported here.
 */
export function findWriteThrough(node) {
  const chain = outerChain(node);
  const parent = chain.parent;
  if (!parent) return null;
  const isMemberChain = chain !== node && unwrap(chain).type === "MemberExpression";

  if (isMemberChain) {
    if (parent.type === "AssignmentExpression" && parent.left === chain) return parent;
    if (parent.type === "UpdateExpression") return parent;
    if (parent.type === "UnaryExpression" && parent.operator === "delete") return parent;
    if ((parent.type === "ForInStatement" || parent.type === "ForOfStatement") && parent.left === chain) return parent;
    const member = unwrap(chain);
    if (
      parent.type === "CallExpression" &&
      parent.callee === chain &&
      !member.computed &&
      member.property.type === "Identifier" &&
      MUTATING_METHODS.has(member.property.name)
    ) {
      return parent;
    }
  }
  if (parent.type === "CallExpression" && parent.arguments[0] === chain && isMutatingStatic(parent.callee)) return parent;
  return null;
}

function isMutatingStatic(callee) {
  const member = unwrap(callee);
  if (member.type !== "MemberExpression" || member.computed) return false;
  if (member.object.type !== "Identifier" || member.property.type !== "Identifier") return false;
  const names = MUTATING_STATICS[/** @type {"Object" | "Reflect"} */ (member.object.name)];
  return names !== undefined && names.has(member.property.name);
}
