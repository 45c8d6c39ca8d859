// @ts-check
// Per-request state must come from the factory: a module-level `let`, or a module-level object written after creation,
// is shared by every user of the process (architecture.md, "Rules that keep it SSOT").
import { findWriteThrough, unwrap } from "./mutation.js";

const CONTAINERS = new Set(["Map", "Set", "WeakMap", "WeakSet", "Array"]);

/** @type {import("eslint").Rule.RuleModule} */
export default {
  meta: {
    type: "problem",
    docs: { description: "Forbid module-level mutable state (`let`/`var`, or top-level objects written after creation)." },
    schema: [],
    messages: {
      moduleLet:
        "Module-level `{{kind}} {{name}}` is state shared by every request: make it a `const`, or keep it in an object the factory creates per request.",
      mutated:
        "Module-level `{{name}}` is written at line {{line}}: it is state shared by every request. Keep it in an object the factory creates per request.",
      exportedContainer:
        "Module-level `{{name}}` is an exported mutable {{container}}: any importer can change it for every request. Export a read-only view or create it per request.",
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;
    return {
      Program(program) {
        for (const statement of program.body) {
          const declaration =
            statement.type === "ExportNamedDeclaration" && statement.declaration ? statement.declaration : statement;
          if (declaration.type === "VariableDeclaration" && declaration.kind !== "const") {
            for (const variable of sourceCode.getDeclaredVariables(declaration)) {
              context.report({
                node: variable.identifiers[0] ?? declaration,
                messageId: "moduleLet",
                data: { kind: declaration.kind, name: variable.name },
              });
            }
          }
          if (declaration.type === "VariableDeclaration" && declaration.kind === "const") {
            for (const declarator of declaration.declarations) {
              const container = isDeclaredReadonly(declarator) ? null : containerName(declarator.init);
              if (statement.type === "ExportNamedDeclaration" && container && declarator.id.type === "Identifier") {
                context.report({
                  node: declarator.id,
                  messageId: "exportedContainer",
                  data: { name: declarator.id.name, container },
                });
              }
            }
          }
        }
        const moduleScope = sourceCode.scopeManager?.scopes.find((scope) => scope.type === "module");
        if (!moduleScope) return;
        for (const variable of moduleScope.variables) {
          for (const reference of variable.references) {
            const write = findWriteThrough(reference.identifier);
            if (write) {
              context.report({
                node: write,
                messageId: "mutated",
                data: { name: variable.name, line: String(write.loc?.start.line ?? "?") },
              });
            }
          }
        }
      },
    };
  },
};

/** `new Map()`, `new Set(…)`, `[]`: the built-in containers everyone can change in place. */
function containerName(init) {
  const value = unwrap(init);
  if (!value) return null;
  if (value.type === "NewExpression" && value.callee.type === "Identifier" && CONTAINERS.has(value.callee.name)) {
    return value.callee.name;
  }
  if (value.type === "ArrayExpression") return "array";
  return null;
}

/** `const x: readonly T[] = …`, `ReadonlyMap<…>`, `[…] as const`, `Object.freeze(…)`: the author promised no writes. */
function isDeclaredReadonly(declarator) {
  const annotation = declarator.id.typeAnnotation?.typeAnnotation;
  if (annotation?.type === "TSTypeOperator" && annotation.operator === "readonly") return true;
  if (
    annotation?.type === "TSTypeReference" &&
    annotation.typeName.type === "Identifier" &&
    annotation.typeName.name.startsWith("Readonly")
  ) {
    return true;
  }
  const init = declarator.init;
  if (init?.type === "TSAsExpression" && init.typeAnnotation.type === "TSTypeReference") {
    const name = init.typeAnnotation.typeName;
    if (name.type === "Identifier" && name.name === "const") return true;
  }
  return false;
}
