// @ts-check
// Event types, command types and error codes are written once, in src/protocol/names.ts; a copy elsewhere drifts
// silently when the catalogue changes, so the string itself is forbidden outside src/protocol/.

/** Properties and operands whose string value is a protocol name: `{type: …}`, `{code: …}`, `x.type === …`. */
const NAME_KEYS = new Set(["type", "code"]);
const NAME_CALLEES = new Set(["ApexError", "toApexError", "literal"]);

/**
 * A value that cannot be an ordinary word: snake_case (`agent_started`), a path (`/ws`) or an env var (`APEX_PORT`).
 * Such values are reported wherever they appear; one-word values (`error`, `ping`, `internal`) only where a protocol name
 * is expected, so that `socket.on("error")` or a record status `"error"` stay legal.
 */
function isDistinctive(value) {
  return value.includes("_") || value.startsWith("/") || /^[A-Z][A-Z0-9_]*$/.test(value);
}

/** @type {import("eslint").Rule.RuleModule} */
export default {
  meta: {
    type: "problem",
    docs: { description: "Forbid string literals of named values (event types, commands, error codes…) outside src/protocol/." },
    schema: [
      {
        type: "object",
        properties: {
          categories: {
            type: "object",
            additionalProperties: {
              type: "object",
              properties: {
                constName: { type: "string" },
                entries: { type: "object", additionalProperties: { type: "string" } },
              },
              required: ["constName", "entries"],
              additionalProperties: false,
            },
          },
        },
        required: ["categories"],
        additionalProperties: false,
      },
    ],
    messages: {
      literal: "\"{{value}}\" is {{reference}} ({{category}}): import it from src/protocol/names.ts instead of writing the string.",
    },
  },
  create(context) {
    const [{ categories } = { categories: {} }] = /** @type {any[]} */ (context.options);
    /** @type {Map<string, {reference: string, category: string}>} */
    const byValue = new Map();
    for (const [category, { constName, entries }] of Object.entries(categories)) {
      for (const [key, value] of Object.entries(entries)) {
        if (!byValue.has(value)) byValue.set(value, { reference: `${constName}.${key}`, category });
      }
    }
    if (byValue.size === 0) {
      throw new Error("no-named-value-literals: no named values were given; eslint.config.js must pass them from names.ts");
    }

    function inspect(node, value) {
      const named = byValue.get(value);
      if (!named) return;
      if (!isDistinctive(value) && !isNamePosition(node)) return;
      context.report({ node, messageId: "literal", data: { value, ...named } });
    }

    return {
      Literal(node) {
        if (typeof node.value !== "string") return;
        const parent = node.parent;
        if (isModuleSpecifier(node, parent)) return;
        if (parent.type === "ExpressionStatement" && "directive" in parent) return;
        inspect(node, node.value);
      },
      TemplateLiteral(node) {
        if (node.expressions.length > 0 || node.parent.type === "TaggedTemplateExpression") return;
        inspect(node, node.quasis[0]?.value.cooked ?? "");
      },
    };
  },
};

function isModuleSpecifier(node, parent) {
  return (
    ((parent.type === "ImportDeclaration" ||
      parent.type === "ExportAllDeclaration" ||
      parent.type === "ExportNamedDeclaration" ||
      parent.type === "ImportExpression") &&
      parent.source === node) ||
    parent.type === "TSExternalModuleReference" ||
    (parent.type === "TSLiteralType" && parent.parent?.type === "TSImportType")
  );
}

function keyName(node) {
  if (!node) return null;
  if (node.type === "Identifier") return node.name;
  if (node.type === "Literal" && typeof node.value === "string") return node.value;
  if (node.type === "MemberExpression" && !node.computed && node.property.type === "Identifier") {
    return node.property.name;
  }
  return null;
}

/** Where only a protocol name makes sense: the value of `type`/`code`, a comparison with one, an ApexError code. */
function isNamePosition(node) {
  let current = node;
  let parent = node.parent;
  // `{type: "error" as const}` and `"ack" satisfies X` are still the literal in that position.
  while (parent && (parent.type === "TSAsExpression" || parent.type === "TSSatisfiesExpression")) {
    current = parent;
    parent = parent.parent;
  }
  if (!parent) return false;
  switch (parent.type) {
    case "Property":
    case "PropertyDefinition":
      return parent.value === current && !parent.computed && NAME_KEYS.has(keyName(parent.key) ?? "");
    case "BinaryExpression": {
      if (!["===", "!==", "==", "!="].includes(parent.operator)) return false;
      const other = parent.left === current ? parent.right : parent.left;
      return NAME_KEYS.has(keyName(other) ?? "");
    }
    case "SwitchCase":
      return parent.test === current && NAME_KEYS.has(keyName(parent.parent.discriminant) ?? "");
    case "CallExpression":
    case "NewExpression": {
      const callee = parent.callee.type === "MemberExpression" ? parent.callee.property : parent.callee;
      return callee.type === "Identifier" && NAME_CALLEES.has(callee.name);
    }
    case "TSLiteralType": {
      let type = parent;
      while (type.parent?.type === "TSUnionType") type = type.parent;
      const signature = type.parent?.type === "TSTypeAnnotation" ? type.parent.parent : null;
      return signature?.type === "TSPropertySignature" && NAME_KEYS.has(keyName(signature.key) ?? "");
    }
    default:
      return false;
  }
}
