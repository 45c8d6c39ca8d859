// @ts-check
// Vague names hid the original's duplicates (197 "Manager" classes): name a thing by what it is (style.md).
import path from "node:path";

const BANNED_WORDS = new Set([
  "manager",
  "managers",
  "helper",
  "helpers",
  "util",
  "utils",
  "utility",
  "utilities",
  "unified",
  "enhanced",
  "consolidated",
]);
const BANNED_FOLDERS = new Set(["utils", "util", "helpers", "helper", "common", "misc"]);

/** `AgentWebSocketHTTPManager` → agent, web, socket, http, manager; `cache_utilization` → cache, utilization. */
function nameWords(name) {
  return (name.match(/[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+/g) ?? []).map((word) => word.toLowerCase());
}

function bannedWord(name) {
  return nameWords(name).find((word) => BANNED_WORDS.has(word)) ?? null;
}

/** @type {import("eslint").Rule.RuleModule} */
export default {
  meta: {
    type: "suggestion",
    docs: { description: "Forbid Manager/Helper/Util/Unified/Enhanced/Consolidated in declared names and file paths." },
    schema: [],
    messages: {
      name: "`{{name}}` contains \"{{word}}\": name it for what it is (style.md).",
      folder: "Folder `{{folder}}/` is a grab bag: put each file in the layer folder of what it holds (style.md).",
      file: "File name `{{file}}` contains \"{{word}}\": name the file for the one thing it holds (style.md).",
    },
  },
  create(context) {
    function check(node) {
      if (!node) return;
      const name = node.type === "Identifier" ? node.name : node.type === "PrivateIdentifier" ? node.name : null;
      if (name === null) return;
      const word = bannedWord(name);
      if (word) context.report({ node, messageId: "name", data: { name, word } });
    }
    function checkPattern(pattern) {
      if (!pattern) return;
      switch (pattern.type) {
        case "Identifier":
          check(pattern);
          break;
        case "ObjectPattern":
          for (const property of pattern.properties) {
            checkPattern(property.type === "RestElement" ? property.argument : property.value);
          }
          break;
        case "ArrayPattern":
          for (const element of pattern.elements) checkPattern(element);
          break;
        case "RestElement":
          checkPattern(pattern.argument);
          break;
        case "AssignmentPattern":
          checkPattern(pattern.left);
          break;
        case "TSParameterProperty":
          checkPattern(pattern.parameter);
          break;
        default:
          break;
      }
    }
    function checkFunction(node) {
      check(node.id);
      for (const parameter of node.params) checkPattern(parameter);
    }
    function checkKey(node) {
      if (!node.computed) check(node.key);
    }
    return {
      Program(node) {
        const relative = path.relative(context.cwd, context.filename);
        const segments = relative.split(path.sep);
        const file = segments.pop() ?? "";
        const folder = segments.find((segment) => BANNED_FOLDERS.has(segment));
        if (folder) context.report({ node, loc: { line: 1, column: 0 }, messageId: "folder", data: { folder } });
        const word = bannedWord(file.replace(/\..*$/, ""));
        if (word) context.report({ node, loc: { line: 1, column: 0 }, messageId: "file", data: { file, word } });
      },
      VariableDeclarator: (node) => checkPattern(node.id),
      FunctionDeclaration: checkFunction,
      FunctionExpression: checkFunction,
      ArrowFunctionExpression: checkFunction,
      ClassDeclaration: (node) => check(node.id),
      ClassExpression: (node) => check(node.id),
      MethodDefinition: checkKey,
      PropertyDefinition: checkKey,
      TSAbstractMethodDefinition: checkKey,
      TSAbstractPropertyDefinition: checkKey,
      TSPropertySignature: checkKey,
      TSMethodSignature: checkKey,
      TSInterfaceDeclaration: (node) => check(node.id),
      TSTypeAliasDeclaration: (node) => check(node.id),
      TSEnumDeclaration: (node) => check(node.id),
      TSEnumMember: (node) => check(node.id),
      TSModuleDeclaration: (node) => check(node.id),
      TSTypeParameter: (node) => check(node.name),
      CatchClause: (node) => checkPattern(node.param),
      ImportSpecifier(node) {
        // Only a renaming import declares a name of ours; the imported name belongs to its package.
        if (node.imported.type === "Identifier" && node.imported.name !== node.local.name) check(node.local);
      },
    };
  },
};
