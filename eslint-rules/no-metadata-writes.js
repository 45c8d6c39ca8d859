// @ts-check
// Run state has one writer: the metadata store's methods (architecture.md). Everything read from the store is a frozen
// snapshot, and the store's internals are off limits, so an agent cannot change what another agent sees.
import { findWriteThrough, unwrap } from "./mutation.js";

/** The store's writing methods (architecture.md); any other method call on the store returns a snapshot. */
const STORE_WRITERS = new Set([
  "storeResult",
  "storeBatch",
  "appendToList",
  "extendList",
  "incrementCounter",
  "propagate",
]);
/** What a store is called: `metadata`, `runMetadata`, `metadataStore`, `ctx.metadata`, `this.metadata`. */
const STORE_NAME = /(^|[a-z])(metadata|Metadata)(Store)?$/;
/** Files that can hold a store: those in src/runtime/ and those importing from it. */
const RUNTIME_SOURCE = /(^|\/)runtime\//;

/** @type {import("eslint").Rule.RuleModule} */
export default {
  meta: {
    type: "problem",
    docs: { description: "Forbid writing run metadata except through the MetadataStore's methods." },
    schema: [
      {
        type: "object",
        properties: { publicMembers: { type: "array", items: { type: "string" }, minItems: 1 } },
        required: ["publicMembers"],
        additionalProperties: false,
      },
    ],
    messages: {
      snapshotWrite:
        "This writes into a value read from the metadata store (a frozen snapshot): store the new value with {{writers}}.",
      internal:
        "`{{member}}` is not part of the metadata store's API ({{api}}): write through its methods, never its internals.",
      storeWrite: "Assigning to the metadata store replaces its API: call its methods ({{writers}}) instead.",
    },
  },
  create(context) {
    const [{ publicMembers }] = /** @type {{publicMembers: string[]}[]} */ (context.options);
    const api = new Set(publicMembers);
    const writers = [...STORE_WRITERS].join(", ");
    const sourceCode = context.sourceCode;
    let active = RUNTIME_SOURCE.test(context.filename.replaceAll("\\", "/"));

    function reportWrite(write) {
      context.report({ node: write, messageId: "snapshotWrite", data: { writers } });
    }

    /** A store method call that is not a writer returns a snapshot: follow it into the variables it initializes. */
    function checkRead(call) {
      const direct = findWriteThrough(call);
      if (direct) reportWrite(direct);
      let holder = call;
      while (holder.parent && (holder.parent.type === "AwaitExpression" || unwrap(holder.parent) !== holder.parent)) {
        holder = holder.parent;
      }
      const parent = holder.parent;
      let variables = [];
      if (parent?.type === "VariableDeclarator" && parent.init === holder) {
        variables = sourceCode.getDeclaredVariables(parent);
      } else if (parent?.type === "AssignmentExpression" && parent.right === holder && parent.left.type === "Identifier") {
        const variable = findVariable(sourceCode.getScope(parent), parent.left.name);
        if (variable) variables = [variable];
      }
      for (const variable of variables) {
        for (const reference of variable.references) {
          if (!reference.isRead()) continue;
          const write = findWriteThrough(reference.identifier);
          if (write) reportWrite(write);
        }
      }
    }

    // Whether the file can hold a store is known only once its imports are read, so accesses are judged at the end.
    const storeAccesses = [];
    return {
      ImportDeclaration(node) {
        if (typeof node.source.value === "string" && RUNTIME_SOURCE.test(node.source.value)) active = true;
      },
      MemberExpression(node) {
        if (isStore(node.object)) storeAccesses.push(node);
      },
      "Program:exit"() {
        if (!active) return;
        for (const node of storeAccesses) {
          const member = memberName(node);
          const parent = node.parent;
          if (parent?.type === "AssignmentExpression" && parent.left === node) {
            context.report({ node: parent, messageId: "storeWrite", data: { writers } });
            continue;
          }
          if (member === null || !api.has(member)) {
            context.report({
              node,
              messageId: "internal",
              data: { member: member ?? "[computed]", api: [...api].join(", ") },
            });
            continue;
          }
          if (parent?.type === "CallExpression" && parent.callee === node && !STORE_WRITERS.has(member)) checkRead(parent);
        }
      },
    };
  },
};

function isStore(node) {
  const value = unwrap(node);
  if (value.type === "Identifier") return STORE_NAME.test(value.name);
  if (value.type === "MemberExpression" && !value.computed && value.property.type === "Identifier") {
    return STORE_NAME.test(value.property.name);
  }
  return false;
}

function memberName(node) {
  if (!node.computed) return node.property.type === "Identifier" ? node.property.name : null;
  return node.property.type === "Literal" && typeof node.property.value === "string" ? node.property.value : null;
}

function findVariable(scope, name) {
  for (let current = scope; current; current = current.upper) {
    const variable = current.set.get(name);
    if (variable) return variable;
  }
  return null;
}
