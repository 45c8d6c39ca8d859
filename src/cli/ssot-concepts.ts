// The concept table of architecture.md ("Seed concept → where it lives in Apex") as data, the one place `apex check
// --ssot` reads it from. Kept in code rather than parsed from the design doc because the doc is not in the repository
// and names neither the symbols nor the look-alike patterns the report needs; add a row here when a concept lands.

type ConceptSymbolKind = "class" | "interface" | "function";

interface ConceptSymbol {
  name: string;
  kind: ConceptSymbolKind;
}

export interface SsotConcept {
  /** Stable key, used in `--json` output. */
  id: string;
  /** The concept as the original platform called it. */
  original: string;
  /** Where it lives: a file, or a folder ending with `/` for concepts that are one file per member. */
  module: string;
  /** The declarations that implement it in `module` (exactly one implementation each). */
  symbols: readonly ConceptSymbol[];
  /** Classes or functions declared anywhere else in src/ whose name matches are a second implementation. */
  lookalikeName?: RegExp;
  /** Packages only this concept's module may import: importing one elsewhere re-implements the concept. */
  ownedPackages?: readonly RegExp[];
  /**
   * For one-file-per-member folders: a member is an object literal with all these properties, named by the first one
   * (`{name, description, run}` is an agent); two members with one name are two implementations.
   */
  memberShape?: readonly string[];
}

export const SSOT_CONCEPTS: readonly SsotConcept[] = [
  {
    id: "execution-context",
    original: "UserExecutionContext",
    module: "src/runtime/context.ts",
    symbols: [{ name: "UserExecutionContext", kind: "class" }],
    lookalikeName: /(Execution|Request|Run|User|Agent)Context$/,
  },
  {
    id: "metadata-store",
    original: "BaseAgent metadata SSOT methods",
    module: "src/runtime/metadata.ts",
    symbols: [{ name: "MetadataStore", kind: "class" }],
    lookalikeName: /Metadata/,
  },
  {
    id: "execution-engine",
    original: "ExecutionEngine + ExecutionEngineConfig",
    module: "src/runtime/engine.ts",
    symbols: [
      { name: "ExecutionEngine", kind: "class" },
      { name: "ExecutionEngineConfig", kind: "interface" },
    ],
    lookalikeName: /(Engine|Orchestrator)$|^(Pipeline|Agent|Run)(Runner|Executor)$/,
  },
  {
    id: "engine-factory",
    original: "ExecutionEngineFactory",
    module: "src/runtime/engine-factory.ts",
    symbols: [{ name: "ExecutionEngineFactory", kind: "class" }],
    lookalikeName: /Engine\w*(Factory|Builder|Pool)$|^(create|make|build|new)\w*Engine$/,
  },
  {
    id: "tool-dispatcher",
    original: "ToolDispatcher (and the admin variant)",
    module: "src/runtime/tool-dispatcher.ts",
    symbols: [{ name: "ToolDispatcher", kind: "class" }],
    lookalikeName: /Dispatcher$|^(Admin)?Tool(Executor|Runner|Invoker)$/,
  },
  {
    id: "registry",
    original: "UniversalRegistry<T>",
    module: "src/runtime/registry.ts",
    symbols: [{ name: "Registry", kind: "class" }],
    lookalikeName: /Registry$/,
  },
  {
    id: "emitter",
    original: "UnifiedWebSocketEmitter / AgentWebSocketBridge / EmitterPool",
    module: "src/runtime/emitter.ts",
    symbols: [{ name: "RunEmitter", kind: "class" }],
    lookalikeName: /Emitter|Bridge$|Notifier$/,
  },
  {
    id: "event-sink",
    original: "event sink interface (emitter → event log → bus)",
    module: "src/runtime/event-sink.ts",
    symbols: [{ name: "EventSink", kind: "interface" }],
  },
  {
    id: "ws-gateway",
    original: "WebSocketManager",
    module: "src/server/ws-gateway.ts",
    symbols: [],
    lookalikeName: /WebSocket|Socket(Server|Hub|Gateway|Pool)$|Gateway$/,
    ownedPackages: [/^ws$/, /^@fastify\/websocket$/],
  },
  {
    id: "agents",
    original: "Agents (triage, data, optimize, actions, report, data guide, corpus admin, synthetic data)",
    module: "src/agents/",
    symbols: [],
    memberShape: ["name", "description", "run"],
  },
  {
    id: "tools",
    original: "Tools (the analyses and admin operations)",
    module: "src/tools/",
    symbols: [],
    memberShape: ["name", "description", "parameters", "execute"],
  },
  {
    id: "named-values",
    original: "MISSION_CRITICAL_NAMED_VALUES_INDEX, string literal index",
    module: "src/protocol/names.ts",
    symbols: [],
  },
  {
    id: "telemetry",
    original: "Observability (single telemetry)",
    module: "src/telemetry/",
    symbols: [],
    lookalikeName: /Telemetry|Tracer$|MetricsRegistry$/,
    ownedPackages: [/^pino$/, /^@opentelemetry\//, /^prom-client$/],
  },
  {
    id: "architecture-checks",
    original: "check_architecture_compliance / query_string_literals",
    module: "src/cli/check.ts",
    symbols: [],
    lookalikeName: /ComplianceCheck|ArchitectureCheck/,
  },
];
